// The small layers: Norm, Linear-like matrices (trained | identity | reparam), MLP, and scalar gains.
// Each registers its parameters under a dotted prefix and has one forward().
#pragma once
#include <functional>
#include <string>

#include "nn/block_spec.h"
#include "nn/parameters.h"

namespace bf {

// How every layer gets its initial values: dtype, device and the seeded generator.
struct InitContext {
  ParameterSet& params;
  Rng& rng;
  DType dtype;
  Device device;
  double init_std;
  Tensor normal(const Shape& shape, double stddev) const;
  Tensor constant(const Shape& shape, double value) const;
  Tensor orthogonal(int64_t n) const;  // a random n x n orthogonal matrix (QR of a Gaussian, Eigen)
};

// RMSNorm x / (rms(x) + eps) * w, LayerNorm, or nothing (forward returns its input).
class Norm {
 public:
  Norm() = default;
  Norm(InitContext& ctx, const std::string& prefix, NormKind kind, int64_t dim, double eps);
  Tensor forward(const Tensor& x) const;
  NormKind kind() const { return kind_; }

 private:
  NormKind kind_ = NormKind::none;
  Tensor weight_, bias_;
  double eps_ = 1e-5;
};

// A d x d map x -> x W^T, where W is trained (`.weight`), the identity (no parameters), or
// alpha I + beta dW (`.alpha`, `.beta` [1], `.delta` [d, d] = 0 at init; alpha = beta = 1).
class SquareMatrix {
 public:
  SquareMatrix() = default;
  SquareMatrix(InitContext& ctx, const std::string& prefix, MatrixKind kind, MatrixInit init, int64_t dim);
  Tensor forward(const Tensor& x) const;
  MatrixKind kind() const { return kind_; }
  const Tensor& alpha() const { return alpha_; }  // reparam only: [1] each; undefined otherwise
  const Tensor& beta() const { return beta_; }

 private:
  MatrixKind kind_ = MatrixKind::identity;
  Tensor weight_, alpha_, beta_, delta_;
};

// MLP(x) = act(x W_fc^T) W_proj^T, no biases; W_fc [r d, d], W_proj [d, r d].
class Mlp {
 public:
  Mlp() = default;
  Mlp(InitContext& ctx, const std::string& prefix, const MlpSpec& spec);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor fc_, proj_;
  Activation act_ = Activation::relu;
  double leaky_slope_ = 0.2;
};

// One gain of Eq. 1 / Eq. 7: a trainable [1] parameter `parameter_name`, or a fixed constant. An absent
// gain (Gain::absent, a fixed 0) removes its branch: apply() does not even call it and returns an
// undefined tensor.
class BranchGain {
 public:
  BranchGain() = default;
  BranchGain(InitContext& ctx, const std::string& parameter_name, Gain gain);
  bool absent() const { return gain_.absent(); }
  Tensor apply(const std::function<Tensor()>& branch) const;  // gain * branch()
  const Tensor& parameter() const { return param_; }  // defined when trainable

 private:
  Gain gain_;
  Tensor param_;
};

// Sum of the defined terms (absent branches are undefined tensors).
Tensor sum_of_branches(std::initializer_list<Tensor> terms);

}  // namespace bf
