// Multi-head causal self-attention with the paper's options: the attention matrix is softmax, shaped
// (alpha I + beta A - gamma C, Eq. 5) or skipinit (alpha I + beta A, Eq. 4); values and projection are
// trained, identity or reparameterised (alpha I + beta dW).
#pragma once
#include "nn/kv_cache.h"
#include "nn/layers.h"

namespace bf {

class Attention {
 public:
  Attention() = default;
  Attention(InitContext& ctx, const std::string& prefix, const AttentionSpec& spec);
  // x [B, T, d] (already normalised) -> [B, T, d]. With `cache` (inference), x holds the T positions after
  // the cache.length already read: their keys and values are appended and each row attends to every
  // position up to its own (nn/kv_cache.h).
  Tensor forward(const Tensor& x, AttentionCache* cache = nullptr) const;
  AttentionKind kind() const { return kind_; }
  // The scale s = 1/sqrt(d_k) of the scores, d_k = d_model / heads (also read by nn/probe.cpp).
  double score_scale(int64_t d_model) const;
  // The per-head gains of shaped / skipinit attention ([H] each; undefined where the kind has none) and
  // W^V, for the diagnostics.
  const Tensor& alpha() const { return alpha_; }
  const Tensor& beta() const { return beta_; }
  const Tensor& gamma() const { return gamma_; }
  const SquareMatrix& value() const { return value_; }

 private:
  int64_t heads_ = 1;
  AttentionKind kind_ = AttentionKind::softmax;
  Tensor q_weight_, q_bias_, k_weight_, k_bias_;
  SquareMatrix value_, proj_;
  Tensor alpha_, beta_, gamma_;  // [H] each, trainable, never decayed (shaped / skipinit)
};

// C = softmax(M) for the causal mask M: C[i, j] = 1/(i+1) for j <= i (0-based), else 0. Computed by the
// softmax kernel itself on a zero matrix, so it is exactly what the mask in use gives.
Tensor causal_centring_matrix(int64_t t, DType dtype, Device device);

}  // namespace bf
