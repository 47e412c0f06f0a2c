#include "nn/block_spec.h"

#include "core/error.h"

namespace bf {

const char* to_string(BlockLayout layout) {
  switch (layout) {
    case BlockLayout::sequential: return "sequential";
    case BlockLayout::parallel: return "parallel";
    case BlockLayout::post_ln: return "post_ln";
    case BlockLayout::post_ln_textbook: return "post_ln_textbook";
  }
  return "?";
}

std::string block_name(int index) { return "blocks." + std::to_string(index); }

BlockLayout layout_of(const BlockConfig& b) {
  if (b.parallel) return BlockLayout::parallel;
  switch (b.norm_position) {
    case NormPosition::pre: return BlockLayout::sequential;
    case NormPosition::post: return BlockLayout::post_ln;
    case NormPosition::post_textbook: return BlockLayout::post_ln_textbook;
  }
  return BlockLayout::sequential;
}

BlockSpec spec_for(const ModelConfig& c, int index) {
  BF_CHECK(index >= 0 && index < c.n_layer, "spec_for: block ", index, " of a ", c.n_layer, "-block model");
  const BlockConfig& b = c.block;
  const bool first = index == 0;
  BlockSpec s;
  s.index = index;
  s.layout = layout_of(b);
  const NormKind norm1 = first ? b.first_norm1 : b.norm1;
  if (s.layout == BlockLayout::parallel)
    s.terms = ParallelBranches{norm1, /*a_comb=*/b.a_FF, b.b_SA, b.b_FF};
  else
    s.terms = TwoSubBlocks{norm1, b.norm2, b.a_SA, b.b_SA, b.a_FF, b.b_FF};
  s.attention = AttentionSpec{c.d_model,          c.n_head, b.attention, b.zero_init_queries,
                              first ? b.first_value : b.value, b.proj,   b.value_proj_init};
  s.mlp = MlpSpec{c.d_model, c.mlp_ratio, c.activation, c.leaky_slope};
  s.norm_eps = c.norm_eps;
  return s;
}

}  // namespace bf
