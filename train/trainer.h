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
#include "train/token_file.h"

namespace bf {

struct TrainOptions {
  bool resume = false;       // continue from out_dir/checkpoint.safetensors
  bool progress = true;      // a live progress line with ETA on stderr when it is a terminal
  std::ostream* log = nullptr;  // human-readable log lines (stdout by default)
  // Test hook: called after the backward pass of each step, before the gradient check (lets a test
  // inject a non-finite gradient).
  std::function<void(int64_t step, Gpt& model)> after_backward;
};

struct TrainSummary {
  int64_t steps = 0;
  int64_t parameters = 0;
  // NaN when not measured (no step ran, every step was skipped, or no evaluation ran in this process).
  double final_train_loss = NAN;  // mean over the last log window
  double final_val_loss = NAN;
  double final_val_bpb = NAN;
  double tokens_per_s = 0;      // over the whole run (this process)
  int64_t skipped_steps = 0;   // over the whole run, resumes included
  int64_t total_steps = 0;     // run.steps
  std::vector<double> step_losses;  // loss of every step this process ran (tests compare resumes bitwise)
};

TrainSummary train(const Config& config, const TrainOptions& options = {});

// The metrics.jsonl "diag" event for one step's diagnostics.
nlohmann::json diagnostics_event(int64_t step, const std::vector<LayerDiagnostics>& layers);

// Mean validation loss over deterministic, evenly spaced windows (no grad). Bits per byte = loss / ln 2
// for the byte-level vocabulary.
double evaluate(const Gpt& model, const TokenFile& data, int batch, int seq_len, int max_batches);

std::string checkpoint_path(const Config& config);  // out_dir/checkpoint.safetensors

// The line `bareformer train` ends with: the measured losses (a value that was not measured is said to
// be so, never printed as a number), throughput, the skipped-step count when there were any, and the
// checkpoint (train/train_summary.cpp).
std::string summary_line(const TrainSummary& summary, const std::string& checkpoint);

}  // namespace bf
