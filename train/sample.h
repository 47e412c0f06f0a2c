// Autoregressive sampling from a trained model: temperature, top-k and top-p (nucleus) over the last
// position's logits, with a KV cache (nn/kv_cache.h) so each new token costs attention over the context
// rather than a full forward of it.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/rng.h"
#include "nn/gpt.h"

namespace bf {

struct SampleOptions {
  int tokens = 200;          // how many to generate (at most; see the position limit below)
  double temperature = 1.0;  // 0: greedy (argmax)
  int top_k = 0;             // keep the k most likely tokens (0: the whole vocabulary)
  double top_p = 1.0;        // then the fewest most likely whose probability sums to >= p (1: all)
  uint64_t seed = 0;
  bool use_cache = true;        // false: a full forward of the whole context per token (the reference)
  bool sliding_window = false;  // past the position limit, continue from the last max_seq_len / 2 tokens
};

// The next token from one position's logits: argmax at temperature 0; otherwise p = softmax(logits / T)
// restricted to the top-k, then to the top-p nucleus (ranks in order of decreasing p, ties by token id;
// the nucleus always keeps the most likely token), renormalised, and drawn by inverse CDF with one
// uniform of `rng`.
int32_t choose_token(const std::vector<double>& logits, const SampleOptions& options, Rng& rng);

struct SampleResult {
  std::vector<int32_t> tokens;      // the generated ids, the prompt excluded
  bool stopped_at_limit = false;    // ended early: the context filled model.max_seq_len positions
};

// Continues `prompt` (token ids, at least one) and calls `on_token` with each id as it is drawn (for
// streaming). The model reads positions 0 .. max_seq_len-1 (learned positions end there), so the prompt
// plus the generated tokens fill at most max_seq_len + 1 (the last one drawn is never read back). There
// sampling stops (stopped_at_limit), or with options.sliding_window the context restarts from its last
// max_seq_len / 2 tokens at positions 0 .. and continues (one prefill per max_seq_len / 2 tokens). A prompt
// longer than max_seq_len is a bf::Error without sliding_window and is cut to its last max_seq_len / 2
// tokens with it. Cached and uncached sampling draw the same tokens (their logits agree to rounding).
SampleResult sample_tokens(const Gpt& model, const std::vector<int32_t>& prompt, const SampleOptions& options,
                           const std::function<void(int32_t)>& on_token = {});

// Byte-level convenience: the prompt's bytes are its tokens; an empty prompt starts from one newline
// byte (10), the byte every line of a text file follows.
std::vector<int32_t> prompt_tokens(const std::string& prompt);
std::string sample_text(const Gpt& model, const std::string& prompt, const SampleOptions& options);

}  // namespace bf
