#include "nn/block.h"

#include "autograd/ops.h"

namespace bf {

Block::Block(InitContext& ctx, int index, const ModelConfig& config) : spec_(config.block) {
  const std::string p = "blocks." + std::to_string(index);
  const int64_t d = config.d_model;
  const bool first = index == 0;
  norm1_ = Norm(ctx, p + ".norm1", first ? spec_.first_norm1 : spec_.norm1, d, config.norm_eps);
  if (!spec_.parallel) norm2_ = Norm(ctx, p + ".norm2", spec_.norm2, d, config.norm_eps);
  attn_ = Attention(ctx, p + ".attn", config, first ? spec_.first_value : spec_.value);
  mlp_ = Mlp(ctx, p + ".mlp", d, config.mlp_ratio, config.activation, config.leaky_slope);
  if (!spec_.parallel) a_SA_ = BranchGain(ctx, p + ".gain.a_SA", spec_.a_SA);
  b_SA_ = BranchGain(ctx, p + ".gain.b_SA", spec_.b_SA);
  a_FF_ = BranchGain(ctx, p + ".gain.a_FF", spec_.a_FF);
  b_FF_ = BranchGain(ctx, p + ".gain.b_FF", spec_.b_FF);
}

Tensor Block::forward(const Tensor& x, Tensor* attention_probs, AttentionCache* cache) const {
  auto attn = [&](const Tensor& in) { ScopeGuard scope("attn"); return attn_.forward(in, attention_probs, cache); };
  auto mlp = [&](const Tensor& in) { ScopeGuard scope("mlp"); return mlp_.forward(in); };

  if (spec_.parallel) {
    // Eq. 7: X_out = a_comb X + b_SA MHA(Norm(X)) + b_FF MLP(Norm(X))
    Tensor xn = norm1_.forward(x);
    return sum_of_branches({a_FF_.apply([&] { return x; }),
                            b_SA_.apply([&] { return attn(xn); }),
                            b_FF_.apply([&] { return mlp(xn); })});
  }
  switch (spec_.norm_position) {
    case NormPosition::pre: {
      // Eq. 1: Xh = a_SA X + b_SA MHA(Norm1(X));  X_out = a_FF Xh + b_FF MLP(Norm2(Xh))
      Tensor h = sum_of_branches({a_SA_.apply([&] { return x; }),
                                  b_SA_.apply([&] { return attn(norm1_.forward(x)); })});
      return sum_of_branches({a_FF_.apply([&] { return h; }),
                              b_FF_.apply([&] { return mlp(norm2_.forward(h)); })});
    }
    case NormPosition::post: {
      // The authors' norm_position "post": each norm moves in front of its skip, so the skips carry the
      // normalised stream. Xn = Norm1(X); Xh = a_SA Xn + b_SA MHA(Xn); Xm = Norm2(Xh);
      // X_out = a_FF Xm + b_FF MLP(Xm).
      Tensor xn = norm1_.forward(x);
      Tensor h = sum_of_branches({a_SA_.apply([&] { return xn; }), b_SA_.apply([&] { return attn(xn); })});
      Tensor hn = norm2_.forward(h);
      return sum_of_branches({a_FF_.apply([&] { return hn; }), b_FF_.apply([&] { return mlp(hn); })});
    }
    case NormPosition::post_textbook: {
      // Textbook Post-LN (Vaswani et al.): Xh = Norm1(a_SA X + b_SA MHA(X)); X_out = Norm2(a_FF Xh + b_FF MLP(Xh))
      Tensor h = norm1_.forward(sum_of_branches({a_SA_.apply([&] { return x; }), b_SA_.apply([&] { return attn(x); })}));
      return norm2_.forward(sum_of_branches({a_FF_.apply([&] { return h; }), b_FF_.apply([&] { return mlp(h); })}));
    }
  }
  return x;
}

}  // namespace bf
