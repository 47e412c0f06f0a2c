// Autoregressive sampling from a trained model: temperature and top-k over the last position's logits.
#pragma once
#include <string>
#include <vector>

#include "nn/gpt.h"

namespace bf {

struct SampleOptions {
  int tokens = 200;          // how many to generate
  double temperature = 1.0;  // 0: greedy (argmax)
  int top_k = 0;             // 0: the whole vocabulary
  uint64_t seed = 0;
};

// Continues `prompt` (token ids) and returns only the generated ids. The context is cropped to the
// model's last max_seq_len tokens (learned positions end there).
std::vector<int32_t> sample_tokens(const Gpt& model, const std::vector<int32_t>& prompt, const SampleOptions& options);

// Byte-level convenience: prompt text in, generated text out.
std::string sample_text(const Gpt& model, const std::string& prompt, const SampleOptions& options);

}  // namespace bf
