#include "nn/layers.h"

#include "autograd/ops.h"

namespace bf {

Tensor InitContext::normal(const Shape& shape, double stddev) const {
  return Tensor::randn(shape, rng, 0.0, stddev, dtype, device);
}

Tensor InitContext::constant(const Shape& shape, double value) const { return Tensor::full(shape, value, dtype, device); }

// ---- Norm ----
Norm::Norm(InitContext& ctx, const std::string& prefix, NormKind kind, int64_t dim, double eps) : kind_(kind), eps_(eps) {
  if (kind == NormKind::none) return;
  weight_ = ctx.params.add(prefix + ".weight", ctx.constant({dim}, 1.0), ParamGroup::norm);
  if (kind == NormKind::layernorm) bias_ = ctx.params.add(prefix + ".bias", ctx.constant({dim}, 0.0), ParamGroup::norm);
}

Tensor Norm::forward(const Tensor& x) const {
  switch (kind_) {
    case NormKind::rmsnorm: return rms_norm(x, weight_, eps_);
    case NormKind::layernorm: return layer_norm(x, weight_, bias_, eps_);
    case NormKind::none: return x;
  }
  return x;
}

// ---- SquareMatrix ----
SquareMatrix::SquareMatrix(InitContext& ctx, const std::string& prefix, MatrixKind kind, MatrixInit init, int64_t dim)
    : kind_(kind) {
  if (kind == MatrixKind::trained) {
    Tensor w = init == MatrixInit::orthogonal ? ctx.orthogonal(dim) : ctx.normal({dim, dim}, ctx.init_std);
    weight_ = ctx.params.add(prefix + ".weight", w, ParamGroup::matrix);
  } else if (kind == MatrixKind::reparam) {
    alpha_ = ctx.params.add(prefix + ".alpha", ctx.constant({1}, 1.0), ParamGroup::gain);
    beta_ = ctx.params.add(prefix + ".beta", ctx.constant({1}, 1.0), ParamGroup::gain);
    delta_ = ctx.params.add(prefix + ".delta", ctx.constant({dim, dim}, 0.0), ParamGroup::matrix);
  }
}

Tensor SquareMatrix::forward(const Tensor& x) const {
  switch (kind_) {
    case MatrixKind::trained: return linear(x, weight_);
    case MatrixKind::identity: return x;
    // x (alpha I + beta dW)^T = alpha x + beta (x dW^T)
    case MatrixKind::reparam: return add(scale_by(x, alpha_), scale_by(linear(x, delta_), beta_));
  }
  return x;
}

// ---- Mlp ----
Mlp::Mlp(InitContext& ctx, const std::string& prefix, const MlpSpec& spec)
    : act_(spec.activation), leaky_slope_(spec.leaky_slope) {
  const int64_t dim = spec.d_model, ratio = spec.ratio;
  fc_ = ctx.params.add(prefix + ".fc.weight", ctx.normal({ratio * dim, dim}, ctx.init_std), ParamGroup::matrix);
  proj_ = ctx.params.add(prefix + ".proj.weight", ctx.normal({dim, ratio * dim}, ctx.init_std), ParamGroup::matrix);
}

Tensor Mlp::forward(const Tensor& x) const {
  Tensor h = linear(x, fc_);
  switch (act_) {
    case Activation::relu: h = relu(h); break;
    case Activation::gelu: h = gelu(h); break;
    case Activation::leaky_relu: h = leaky_relu(h, leaky_slope_); break;
  }
  return linear(h, proj_);
}

// ---- BranchGain ----
BranchGain::BranchGain(InitContext& ctx, const std::string& parameter_name, Gain gain) : gain_(gain) {
  if (gain.trainable) param_ = ctx.params.add(parameter_name, ctx.constant({1}, gain.init), ParamGroup::gain);
}

Tensor BranchGain::apply(const std::function<Tensor()>& branch) const {
  if (absent()) return Tensor();
  Tensor y = branch();
  if (param_.defined()) return scale_by(y, param_);
  return gain_.init == 1.0 ? y : scale(y, gain_.init);
}

Tensor sum_of_branches(std::initializer_list<Tensor> terms) {
  Tensor total;
  for (const Tensor& t : terms) {
    if (!t.defined()) continue;
    total = total.defined() ? add(total, t) : t;
  }
  BF_CHECK(total.defined(), "block: every branch is absent (all gains fixed at 0)");
  return total;
}

}  // namespace bf
