#include "nn/block.h"

#include "autograd/ops.h"

namespace bf {

Block::Block(InitContext& ctx, const BlockSpec& spec) : name_(block_name(spec.index)), layout_(spec.layout) {
  const int64_t d = spec.attention.d_model;
  auto norm = [&](const char* which, NormKind kind) { return Norm(ctx, name_ + "." + which, kind, d, spec.norm_eps); };
  auto gains = [&](const auto& of_spec, auto& of_block) {
    for_each_gain(of_spec, of_block, [&](const char* gain, const Gain& g, BranchGain& out) {
      out = BranchGain(ctx, name_ + ".gain." + gain, g);
    });
  };
  // The parameters in the order checkpoints and the initialisation's random draws have: norms, attention,
  // MLP, gains. A parallel block's one norm is stored as norm1.
  if (layout_ == BlockLayout::parallel)
    terms_ = Branches{.norm = norm("norm1", spec.parallel().norm)};
  else
    terms_ = SubBlocks{.norm1 = norm("norm1", spec.sub_blocks().norm1), .norm2 = norm("norm2", spec.sub_blocks().norm2)};
  attn_ = Attention(ctx, name_ + ".attn", spec.attention);
  mlp_ = Mlp(ctx, name_ + ".mlp", spec.mlp);
  if (Branches* b = std::get_if<Branches>(&terms_))
    gains(spec.parallel(), *b);
  else
    gains(spec.sub_blocks(), std::get<SubBlocks>(terms_));
}

std::vector<std::pair<std::string, const BranchGain*>> Block::gains() const {
  std::vector<std::pair<std::string, const BranchGain*>> out;
  std::visit([&](const auto& terms) { for_each_gain(terms, [&](const char* name, const BranchGain& g) { out.push_back({name, &g}); }); },
             terms_);
  return out;
}

Tensor Block::forward(const Tensor& x, AttentionCache* cache) const {
  auto attn = [&](const Tensor& in) { ScopeGuard scope("attn"); return attn_.forward(in, cache); };
  auto mlp = [&](const Tensor& in) { ScopeGuard scope("mlp"); return mlp_.forward(in); };

  if (const Branches* p = std::get_if<Branches>(&terms_)) {
    // Eq. 7: X_out = a_comb X + b_SA MHA(Norm(X)) + b_FF MLP(Norm(X))
    Tensor xn = p->norm.forward(x);
    return sum_of_branches({p->a_comb.apply([&] { return x; }),
                            p->b_SA.apply([&] { return attn(xn); }),
                            p->b_FF.apply([&] { return mlp(xn); })});
  }
  const SubBlocks& s = std::get<SubBlocks>(terms_);
  switch (layout_) {
    case BlockLayout::sequential: {
      // Eq. 1: Xh = a_SA X + b_SA MHA(Norm1(X));  X_out = a_FF Xh + b_FF MLP(Norm2(Xh))
      Tensor h = sum_of_branches({s.a_SA.apply([&] { return x; }),
                                  s.b_SA.apply([&] { return attn(s.norm1.forward(x)); })});
      return sum_of_branches({s.a_FF.apply([&] { return h; }),
                              s.b_FF.apply([&] { return mlp(s.norm2.forward(h)); })});
    }
    case BlockLayout::post_ln: {
      // The authors' norm_position "post": each norm moves in front of its skip, so the skips carry the
      // normalised stream. Xn = Norm1(X); Xh = a_SA Xn + b_SA MHA(Xn); Xm = Norm2(Xh);
      // X_out = a_FF Xm + b_FF MLP(Xm).
      Tensor xn = s.norm1.forward(x);
      Tensor h = sum_of_branches({s.a_SA.apply([&] { return xn; }), s.b_SA.apply([&] { return attn(xn); })});
      Tensor hn = s.norm2.forward(h);
      return sum_of_branches({s.a_FF.apply([&] { return hn; }), s.b_FF.apply([&] { return mlp(hn); })});
    }
    case BlockLayout::post_ln_textbook: {
      // Textbook Post-LN (Vaswani et al.): Xh = Norm1(a_SA X + b_SA MHA(X)); X_out = Norm2(a_FF Xh + b_FF MLP(Xh))
      Tensor h = s.norm1.forward(sum_of_branches({s.a_SA.apply([&] { return x; }), s.b_SA.apply([&] { return attn(x); })}));
      return s.norm2.forward(sum_of_branches({s.a_FF.apply([&] { return h; }), s.b_FF.apply([&] { return mlp(h); })}));
    }
    case BlockLayout::parallel: break;  // above
  }
  return x;
}

}  // namespace bf
