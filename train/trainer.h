// The training loop: config -> model, data, optimiser -> steps with logging, evaluation, checkpoints.
#pragma once
#include <cmath>
#include <functional>
#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "nn/diagnostics.h"
#include "nn/gpt.h"
#include "train/config.h"
#include "io/token_file.h"

namespace bf {

struct TrainOptions {
  bool resume = false;       // continue from out_dir/checkpoint.safetensors
  bool progress = true;      // a live progress line with ETA on stderr when it is a terminal
  std::ostream* log = nullptr;  // human-readable log lines (stdout by default)
  // Test hook: called after the backward pass of each step, before the gradient check (lets a test
  // inject a non-finite gradient).
  std::function<void(int64_t step, Gpt& model)> after_backward;
  // Settings of a resumed run that differ from its saved config and were accepted (train/resume.h): a
  // "config_change" event records them in metrics.jsonl.
  nlohmann::json accepted_changes;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t parameters = 0;
  bool already_finished = false;  // resumed at or past run.steps: nothing ran, nothing was written
  // NaN when this process measured none (no step ran, every step was skipped, or no evaluation ran in this
  // process; the CLI prints only measured values).
  double final_train_loss = NAN;  // mean over the last log window
  double final_val_loss = NAN;
  double final_val_bpb = NAN;
  double tokens_per_s = NAN;      // over the steps this process ran
  int64_t skipped_steps = 0;   // over the whole run, resumes included
  int64_t total_steps = 0;     // run.steps
  std::vector<double> step_losses;  // loss of every step this process ran (tests compare resumes bitwise)
};

TrainSummary train(const Config& config, const TrainOptions& options = {});

// The metrics.jsonl "diag" event for one step's diagnostics.
nlohmann::json diagnostics_event(int64_t step, const std::vector<LayerDiagnostics>& layers);

// Validation on deterministic, evenly spaced windows (no grad; eval_window_starts picks them).
struct EvalResult {
  double loss = 0;          // mean nats per scored token
  int64_t tokens = 0;       // targets scored
  int64_t text_bytes = 0;   // bytes of original text those targets decode to
  // Bits per byte of the original text: total nats / ln 2 / text_bytes. The same scale for every
  // tokenizer (for byte-level text_bytes = tokens, so it is loss / ln 2).
  double bits_per_byte = 0;
};
// token_text_bytes[id]: bytes of text token id stands for (Tokenizer::token_text_bytes()).
EvalResult evaluate_split(const Gpt& model, const TokenFile& data, const std::vector<int32_t>& token_text_bytes,
                          int batch, int seq_len, int max_batches);
// The mean loss alone (evaluate_split's loss).
double evaluate(const Gpt& model, const TokenFile& data, int batch, int seq_len, int max_batches);

std::string checkpoint_path(const Config& config);  // out_dir/checkpoint.safetensors

// The line `bareformer train` ends with: the measured losses (a value that was not measured is said to
// be so, never printed as a number), throughput, the skipped-step count when there were any, and the
// checkpoint (train/train_summary.cpp).
std::string summary_line(const TrainSummary& summary, const std::string& checkpoint);

}  // namespace bf
