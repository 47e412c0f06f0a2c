// One transformer block for every variant: a BlockSpec picks the layout and its terms; no subclasses per
// preset.
#pragma once
#include <utility>
#include <variant>
#include <vector>

#include "nn/attention.h"

namespace bf {

class Block {
 public:
  Block() = default;
  Block(InitContext& ctx, const BlockSpec& spec);  // spec_for(config, index)
  // `cache`, when given, is this block's KV cache (Attention::forward).
  Tensor forward(const Tensor& x, AttentionCache* cache = nullptr) const;

  BlockLayout layout() const { return layout_; }
  const std::string& name() const { return name_; }  // "blocks.{i}"
  const Attention& attention() const { return attn_; }
  // The block's gains with their names (for_each_gain, nn/block_spec.h), in registration order.
  std::vector<std::pair<std::string, const BranchGain*>> gains() const;

 private:
  using SubBlocks = TwoSubBlocksOf<Norm, BranchGain>;
  using Branches = ParallelBranchesOf<Norm, BranchGain>;
  std::string name_;
  BlockLayout layout_ = BlockLayout::sequential;
  std::variant<SubBlocks, Branches> terms_;  // Branches exactly when the layout is parallel
  Attention attn_;
  Mlp mlp_;
};

}  // namespace bf
