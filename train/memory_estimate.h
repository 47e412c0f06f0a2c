// How much memory a command will take, estimated from the config alone before anything is allocated, and
// the limit it is held to. A config can pass every range check and still ask for terabytes (1024 layers
// of width 65536): that must be refused with the estimate, not found by the allocator (or the kernel's
// OOM killer) after minutes of work.
//
// The estimate counts, in bytes of the model's dtype (f32):
//   parameters       every scalar of nn/parameter_table.h
//   gradients        as many again (training)
//   optimiser state  2x the parameters for AdamW (exp_avg, exp_avg_sq), 1x for SGD (momentum)
//   activations      what one step keeps for its backward pass: per block about 16 [B, T, d] tensors
//                    (norms, Q, K, V, attention output, residual sums and their gradients), 3 [B, T, r d]
//                    (the MLP's hidden layer before and after the nonlinearity, and its gradient) and
//                    3 [B, H, T, T] (scores, probabilities, their gradient); plus 3 [B, T, V] for the
//                    logits, their softmax and gradient. Evaluation keeps one block's and the head's.
// It is an estimate of the dominant terms (allocator caching and small tensors are left out): it exists
// to refuse what cannot fit, not to predict a peak exactly.
//
// The limit is the machine's physical memory (sysconf), or BAREFORMER_MEMORY_LIMIT when set: bytes, or
// a number with a K, M, G or T suffix (powers of 1024), e.g. BAREFORMER_MEMORY_LIMIT=64G.
#pragma once
#include <cstdint>
#include <string>

#include "train/config.h"

namespace bf {

struct MemoryEstimate {
  // Each a byte count; saturates at INT64_MAX rather than overflowing.
  int64_t parameters = 0, gradients = 0, optimiser = 0, activations = 0;
  int64_t total() const;
};

enum class MemoryUse { describe, train, evaluate, sample };

MemoryEstimate estimate_memory(const Config& config, MemoryUse use);

struct MemoryLimit {
  int64_t bytes = 0;
  std::string description;  // "the 64.0 GiB allowed by BAREFORMER_MEMORY_LIMIT=64G", "this machine's ..."
};
// bf::Error when BAREFORMER_MEMORY_LIMIT is set but not a size.
MemoryLimit memory_limit();

// bf::Error "SOURCE: training needs an estimated 1.2 TiB of memory (parameters ..., ...), more than the
// ..." when the estimate exceeds memory_limit().
void check_memory(const Config& config, MemoryUse use, const std::string& source);

std::string human_bytes(int64_t bytes);  // "205.5 TiB", binary units, one decimal

}  // namespace bf
