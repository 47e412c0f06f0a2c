// Validation loss on deterministic, evenly spaced windows of a token file (no gradient).
#pragma once
#include <cstdint>
#include <vector>

#include "io/token_file.h"
#include "nn/gpt.h"

namespace bf {

struct EvalResult {
  double loss = 0;          // mean nats per scored token
  int64_t tokens = 0;       // targets scored
  int64_t text_bytes = 0;   // bytes of original text those targets decode to
  // Bits per byte of the original text: total nats / ln 2 / text_bytes. The same scale for every
  // tokenizer (for byte-level text_bytes = tokens, so it is loss / ln 2).
  double bits_per_byte = 0;
};
// The windows are eval_window_starts' (train/batches.h), run.eval_batches x data.batch_size of them.
// token_text_bytes[id]: bytes of text token id stands for (Tokenizer::token_text_bytes()).
EvalResult evaluate_split(const Gpt& model, const TokenFile& data, const std::vector<int32_t>& token_text_bytes,
                          int batch, int seq_len, int max_batches);
// The mean loss alone (evaluate_split's loss).
double evaluate(const Gpt& model, const TokenFile& data, int batch, int seq_len, int max_batches);

}  // namespace bf
