// Batches of training windows drawn from a token file, and the fixed windows validation loss is taken on.
//
// A window is seq_len + 1 consecutive tokens: the model reads window[0 .. T-1] and predicts
// window[1 .. T], so targets are the tokens shifted by one.
#pragma once
#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "io/token_file.h"

namespace bf {

// Random training windows. Each row's start is uniform in [0, size - seq_len - 1] (Rng::below), drawn
// row by row from one generator whose whole state can be saved and restored: after set_state(s) the
// sampler produces exactly the batches it produced after the state() call that returned s.
// The sampler keeps a reference to `data`, which must outlive it.
class BatchSampler {
 public:
  BatchSampler(const TokenFile& data, int batch, int seq_len, uint64_t seed);

  // Fills tokens and targets, i32 CPU [batch, seq_len]. Tensors that already have that shape, dtype and
  // device are written in place (no allocation in steady state); others are replaced by new ones.
  void next(Tensor& tokens, Tensor& targets);

  Rng::State state() const { return rng_.state(); }
  void set_state(const Rng::State& state) { rng_.set_state(state); }

  int batch() const { return batch_; }
  int seq_len() const { return seq_len_; }
  const TokenFile& data() const { return *data_; }

 private:
  const TokenFile* data_;
  int batch_;
  int seq_len_;
  Rng rng_;
  std::vector<int64_t> starts_;
};

// Deterministic validation windows over n_tokens tokens. Window k starts at a multiple of seq_len and
// predicts tokens [start + 1, start + seq_len]; windows' targets never overlap (consecutive windows share
// one boundary token: the last target of one is the first input of the next). With room for
// W = (n_tokens - 1) / seq_len windows, max_windows >= W (or max_windows == 0: no limit) gives all W of
// them, predicting every token but the first and the last (n_tokens - 1) % seq_len; otherwise
// max_windows of the W slots are taken evenly spaced (slot floor(k * W / max_windows)), first slot 0.
// Ascending. bf::Error when n_tokens < seq_len + 1, seq_len < 1 or max_windows < 0.
std::vector<int64_t> eval_window_starts(int64_t n_tokens, int seq_len, int64_t max_windows);

// Fills tokens and targets, i32 CPU [starts.size(), seq_len], with the windows at `starts` (same
// reuse rule as BatchSampler::next). bf::Error naming the file when a window runs past its end.
void gather_windows(const TokenFile& data, const std::vector<int64_t>& starts, int seq_len, Tensor& tokens,
                    Tensor& targets);

}  // namespace bf
