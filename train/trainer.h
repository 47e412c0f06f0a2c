// The training loop: config -> model, data, optimiser (train/training_run.h) -> steps, each reported to the
// run's observers (train/run_observer.h: metrics.jsonl, the log, the progress line), evaluated and saved at
// the cadence run.* sets.
#pragma once
#include <cmath>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "nn/diagnostics.h"
#include "nn/gpt.h"
#include "train/config.h"
#include "train/evaluate.h"

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

std::string checkpoint_path(const Config& config);  // out_dir/checkpoint.safetensors

// The line `bareformer train` ends with: the measured losses (a value that was not measured is said to
// be so, never printed as a number), throughput, the skipped-step count when there were any, and the
// checkpoint (train/train_summary.cpp).
std::string summary_line(const TrainSummary& summary, const std::string& checkpoint);

}  // namespace bf
