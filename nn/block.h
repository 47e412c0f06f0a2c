// One transformer block for every variant: a BlockSpec picks the terms; no subclasses per preset.
#pragma once
#include "nn/attention.h"

namespace bf {

class Block {
 public:
  Block() = default;
  // `index` decides the first block's special cases (BlockSpec::first_value, first_norm1).
  Block(InitContext& ctx, int index, const ModelConfig& config);
  // `attention_probs`, when given, receives the attention probabilities (diagnostics); `cache`, when
  // given, is this block's KV cache (Attention::forward).
  Tensor forward(const Tensor& x, Tensor* attention_probs = nullptr, AttentionCache* cache = nullptr) const;
  const BlockSpec& spec() const { return spec_; }

 private:
  BlockSpec spec_;
  Norm norm1_, norm2_;
  Attention attn_;
  Mlp mlp_;
  BranchGain a_SA_, b_SA_, a_FF_, b_FF_;
};

}  // namespace bf
