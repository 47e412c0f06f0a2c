// What a forward pass can hand back for diagnostics (nn/diagnostics.h), when asked: each block's output
// and each block's attention probabilities A = softmax(Q K^T / sqrt(d_k) + M) (before shaping).
// A null probe costs nothing.
#pragma once
#include <vector>

#include "core/tensor.h"

namespace bf {

struct ForwardProbe {
  Tensor embedding_output;              // [B, T, d], the input of block 0
  std::vector<Tensor> block_outputs;    // [B, T, d] per block
  std::vector<Tensor> attention_probs;  // [B, H, T, T] per block
};

}  // namespace bf
