// The sweep report: report.md and its SVG plots, a pure function of the sweep file and the runs'
// config.json and metrics.jsonl files, so `bareformer sweep SWEEP.json --report-only` regenerates a
// committed report exactly (tests/experiments/test_sweep_report.cpp checks one).
//
// What it holds (docs/README.md, "Sweeps"): per variant at its chosen grid point, the results with 95%
// intervals; against the baseline, paired by seed, the difference in final validation loss and at every
// evaluation with its interval, a verdict, the smallest difference this many seeds could resolve, the
// seeds that would resolve the observed one at 80% power and on how many seeds the variant was lower;
// steps to the target loss; the whole grid with the chosen point and edge warnings; the tuning budget
// behind each number (Dodge et al. 2019); every run folder with its status and config check.
#pragma once
#include <string>

#include "experiments/sweep.h"

namespace bf {

struct SweepReportOptions {
  std::string runs_root;                  // where the run folders are ("": the sweep's out_dir)
  std::string report_dir;                 // where report.md and the plots go ("": runs_root/<"report">)
  const SweepOutcome* outcome = nullptr;  // a sweep that just ran: adds which runs it trained and reused
};

// Writes report_dir/report.md, loss_vs_step.svg, loss_vs_time.svg, one diff_val_<variant>.svg per
// compared variant and the diagnostics plots (diag_*.svg, when the runs logged diagnostics); returns
// the report's text.
std::string write_sweep_report(const SweepSpec& spec, const SweepReportOptions& options = {});

}  // namespace bf
