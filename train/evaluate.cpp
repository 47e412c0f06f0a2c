#include "train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "autograd/tape.h"
#include "core/error.h"
#include "core/storage.h"
#include "text/tokenizer.h"
#include "train/batches.h"

namespace bf {

EvalResult evaluate_split(const Gpt& model, const TokenFile& data, const std::vector<int32_t>& token_text_bytes,
                          int batch, int seq_len, int max_batches) {
  NoGradGuard no_grad;
  AllocationContext context("evaluation on " + data.path());
  BF_CHECK(data.size() >= int64_t{seq_len} + 1, data.path(), ": ", data.size(),
           " tokens, too few for one validation window (data.seq_len ", seq_len, " needs ", int64_t{seq_len} + 1, ")");
  // In 64 bits: run.eval_batches x data.batch_size reaches 6.5e10 within the config's ranges.
  const std::vector<int64_t> starts = eval_window_starts(data.size(), seq_len, int64_t{max_batches} * batch);
  double total = 0;
  int64_t windows = 0;
  EvalResult result;
  for (size_t first = 0; first < starts.size(); first += batch) {
    std::vector<int64_t> chunk(starts.begin() + first, starts.begin() + std::min(starts.size(), first + batch));
    Tensor tokens, targets;
    gather_windows(data, chunk, seq_len, tokens, targets);
    result.text_bytes += text_bytes_of(targets.data<int32_t>(), targets.numel(), token_text_bytes);
    Tensor loss = model.loss(tokens.to(model.device()), targets.to(model.device()));
    total += loss.item() * double(chunk.size());  // every window has seq_len targets: a plain mean
    windows += static_cast<int64_t>(chunk.size());
  }
  BF_CHECK(windows > 0, data.path(), ": no validation window of ", seq_len + 1, " tokens fits");
  result.loss = total / double(windows);
  result.tokens = windows * seq_len;
  // Total nats over the text those tokens stand for (docs/tokenizer.md, "Bits per byte").
  const double total_nats = result.loss * double(result.tokens);
  result.bits_per_byte = result.text_bytes > 0 ? total_nats / std::numbers::ln2 / double(result.text_bytes) : std::nan("");
  return result;
}

double evaluate(const Gpt& model, const TokenFile& data, int batch, int seq_len, int max_batches) {
  return evaluate_split(model, data, std::vector<int32_t>(size_t(model.config().vocab_size), 1), batch, seq_len,
                        max_batches)
      .loss;
}

}  // namespace bf
