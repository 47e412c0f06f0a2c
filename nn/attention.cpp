#include "nn/attention.h"

#include <cmath>

#include "autograd/ops.h"

namespace bf {

Tensor causal_centring_matrix(int64_t t, DType dtype, Device device) {
  NoGradGuard no_grad;
  return softmax(Tensor::zeros({t, t}, dtype, device), /*causal=*/true);
}

Attention::Attention(InitContext& ctx, const std::string& prefix, const AttentionSpec& spec)
    : heads_(spec.n_head), kind_(spec.kind) {
  const int64_t d = spec.d_model;
  // Zero-initialised queries make Q K^T = 0, so A = softmax(M) = C and shaped attention starts at A' = I.
  q_weight_ = ctx.params.add(prefix + ".q.weight",
                             spec.zero_init_queries ? ctx.constant({d, d}, 0.0) : ctx.normal({d, d}, ctx.init_std),
                             ParamGroup::matrix);
  q_bias_ = ctx.params.add(prefix + ".q.bias", ctx.constant({d}, 0.0), ParamGroup::bias);
  k_weight_ = ctx.params.add(prefix + ".k.weight", ctx.normal({d, d}, ctx.init_std), ParamGroup::matrix);
  k_bias_ = ctx.params.add(prefix + ".k.bias", ctx.constant({d}, 0.0), ParamGroup::bias);
  value_ = SquareMatrix(ctx, prefix + ".v", spec.value, spec.value_proj_init, d);
  proj_ = SquareMatrix(ctx, prefix + ".proj", spec.proj, spec.value_proj_init, d);
  if (kind_ != AttentionKind::softmax) {
    // skipinit (Eq. 4) starts at alpha = 1, beta = 0; shaped (Eq. 5) at alpha = beta = gamma = 1.
    const double beta0 = kind_ == AttentionKind::skipinit ? 0.0 : 1.0;
    alpha_ = ctx.params.add(prefix + ".alpha", ctx.constant({heads_}, 1.0), ParamGroup::gain);
    beta_ = ctx.params.add(prefix + ".beta", ctx.constant({heads_}, beta0), ParamGroup::gain);
    if (kind_ == AttentionKind::shaped)
      gamma_ = ctx.params.add(prefix + ".gamma", ctx.constant({heads_}, 1.0), ParamGroup::gain);
  }
}

double Attention::score_scale(int64_t d_model) const { return 1.0 / std::sqrt(double(d_model / heads_)); }

// MHA(X) = concat_h(A'_h V_h) W^P,  A_h = softmax(Q_h K_h^T / sqrt(d_k) + M)
Tensor Attention::forward(const Tensor& x, AttentionCache* cache) const {
  const int64_t t = x.size(1), d = x.size(2);
  Tensor q = split_heads(linear(x, q_weight_, q_bias_), heads_);  // [B, H, T, dk]
  Tensor k = split_heads(linear(x, k_weight_, k_bias_), heads_);
  Tensor v = split_heads(value_.forward(x), heads_);
  if (cache) {
    BF_CHECK(!grad_enabled(), "attention: a KV cache is for inference (use a NoGradGuard)");
    // Rows after cached ones: each against the cache. From an empty cache the rows see only each
    // other, which is the full forward below (then kept for the next call).
    if (cache->length > 0)
      return proj_.forward(merge_heads(cached_attention(*cache, q, k, v, kind_, alpha_, beta_, gamma_)));
    append_to_cache(*cache, k, v);
  }
  // A' = alpha I + beta softmax(Q K^T / sqrt(d_k) + M) - gamma C (Eq. 5; Eq. 4 without C; A itself for softmax
  // attention), in one fused op.
  const Tensor centring = kind_ == AttentionKind::shaped ? causal_centring_matrix(t, x.dtype(), x.device()) : Tensor();
  Tensor a = causal_attention_probs(matmul(q, k, false, true), score_scale(d), alpha_, beta_, gamma_,
                                    centring);  // [B, H, T, T]
  Tensor heads_out = matmul(a, v);  // [B, H, T, dk]
  return proj_.forward(merge_heads(heads_out));
}

}  // namespace bf
