// Signal-propagation plots from the "diag" events of runs (run.diag_every), for `bareformer plot` and the
// sweep report: how each quantity of nn/diagnostics.h varies with depth, and how it moves in training.
#pragma once
#include <string>
#include <vector>

#include "experiments/run_record.h"

namespace bf {

// A line of the plots: one run, or the seeds of one sweep variant (drawn as their mean, band = min..max).
struct DiagGroup {
  std::string name;
  std::vector<RunRecord> runs;
};

// Per quantity present in any run (activation_rms, token_cosine, attention_entropy, grad_norm,
// value_beta_over_alpha, alpha, beta, gamma, gain a_SA, ...), writes into out_dir:
//   diag_<quantity>_by_layer.svg   the value per layer at the last diagnostic step;
//   diag_<quantity>_vs_step.svg    the value of the last layer that has it, against the training step.
// Returns the file names written, in a fixed order; none when no run has diagnostic events.
std::vector<std::string> write_diagnostic_plots(const std::string& out_dir, const std::vector<DiagGroup>& groups);

// The series behind those plots (tested against hand computations).
struct PlotSeries;
PlotSeries diag_by_layer_series(const DiagGroup& group, const std::string& quantity);
PlotSeries diag_vs_step_series(const DiagGroup& group, const std::string& quantity);

}  // namespace bf
