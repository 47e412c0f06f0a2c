#include "train/batches.h"

#include "core/error.h"

namespace bf {

namespace {

void ensure_i32(Tensor& t, int64_t rows, int64_t cols) {
  const Shape want{rows, cols};
  if (t.defined() && t.dtype() == DType::i32 && t.device() == Device::cpu && t.shape() == want) return;
  t = Tensor::empty(want, DType::i32, Device::cpu);
}

}  // namespace

void gather_windows(const TokenFile& data, const std::vector<int64_t>& starts, int seq_len, Tensor& tokens,
                    Tensor& targets) {
  BF_CHECK(seq_len >= 1, "gather_windows: seq_len ", seq_len, ", expected >= 1");
  const int64_t rows = static_cast<int64_t>(starts.size());
  ensure_i32(tokens, rows, seq_len);
  ensure_i32(targets, rows, seq_len);
  int32_t* tok = tokens.data<int32_t>();
  int32_t* tgt = targets.data<int32_t>();
  std::vector<int32_t> window(static_cast<size_t>(seq_len) + 1);
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t start = starts[static_cast<size_t>(r)];
    BF_CHECK(start >= 0 && start + seq_len + 1 <= data.size(), "token file '", data.path(), "': window ", r,
             " starting at token ", start, " needs ", seq_len + 1, " tokens, the file has ", data.size());
    data.copy_tokens(start, seq_len + 1, window.data());
    std::copy(window.begin(), window.end() - 1, tok + r * seq_len);
    std::copy(window.begin() + 1, window.end(), tgt + r * seq_len);
  }
}

BatchSampler::BatchSampler(const TokenFile& data, int batch, int seq_len, uint64_t seed)
    : data_(&data), batch_(batch), seq_len_(seq_len), rng_(seed) {
  BF_CHECK(batch >= 1, "BatchSampler: batch ", batch, ", expected >= 1");
  BF_CHECK(seq_len >= 1, "BatchSampler: seq_len ", seq_len, ", expected >= 1");
  BF_CHECK(data.size() >= static_cast<int64_t>(seq_len) + 1, "token file '", data.path(), "' has ", data.size(),
           " tokens, too few for one training window: seq_len ", seq_len, " needs at least ", seq_len + 1);
  starts_.resize(static_cast<size_t>(batch));
}

void BatchSampler::next(Tensor& tokens, Tensor& targets) {
  const uint64_t n_starts = static_cast<uint64_t>(data_->size() - seq_len_);  // starts 0 .. size - seq_len - 1
  for (auto& start : starts_) start = static_cast<int64_t>(rng_.below(n_starts));
  gather_windows(*data_, starts_, seq_len_, tokens, targets);
}

std::vector<int64_t> eval_window_starts(int64_t n_tokens, int seq_len, int64_t max_windows) {
  BF_CHECK(seq_len >= 1, "eval_window_starts: seq_len ", seq_len, ", expected >= 1");
  BF_CHECK(max_windows >= 0, "eval_window_starts: max_windows ", max_windows, ", expected >= 0 (0: no limit)");
  BF_CHECK(n_tokens >= static_cast<int64_t>(seq_len) + 1, "eval_window_starts: ", n_tokens,
           " tokens, too few for one window of seq_len ", seq_len, " (needs ", seq_len + 1, ")");
  const int64_t slots = (n_tokens - 1) / seq_len;
  const int64_t count = (max_windows == 0 || max_windows >= slots) ? slots : max_windows;
  std::vector<int64_t> starts(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    // k * slots < count * slots <= slots^2: exact in 128 bits whatever the sizes.
    const int64_t slot = count == slots ? k : static_cast<int64_t>(static_cast<__int128>(k) * slots / count);
    starts[static_cast<size_t>(k)] = slot * seq_len;
  }
  return starts;
}

}  // namespace bf
