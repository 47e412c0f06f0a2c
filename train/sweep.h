// Sweeps: one base config, named variants (each a list of --set overrides) and seeds, run one after
// another into out_dir/<variant>/seed<k>; finished runs are skipped and interrupted ones resumed, so a
// stopped sweep continues where it was. Then report.md with a table per variant and SVG loss plots.
//
// SWEEP.json: {"name": "...", "base": "path/to/config.json" (relative to the sweep file),
//              "out_dir": "runs/sweeps/x", "seeds": [0, 1, 2], "set": ["run.steps=2000", ...],
//              "target_loss": 2.0 (optional: report the first step at or below it),
//              "variants": [{"name": "pre_ln", "set": ["model.preset=pre_ln"]}, ...]}
#pragma once
#include <cmath>
#include <iosfwd>
#include <string>
#include <vector>

namespace bf {

struct SweepVariant {
  std::string name;
  std::vector<std::string> overrides;
};

struct SweepSpec {
  std::string name;
  std::string base_config;  // resolved path
  std::string out_dir;
  std::vector<std::string> common_overrides;
  std::vector<SweepVariant> variants;
  std::vector<uint64_t> seeds;
  double target_loss = NAN;
};

SweepSpec load_sweep(const std::string& path);

struct SweepOutcome {
  int ran = 0, resumed = 0, skipped = 0;
};

std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, uint64_t seed);
SweepOutcome run_sweep(const SweepSpec& spec, std::ostream& log, bool progress = true);

// Writes out_dir/report.md, loss_vs_step.svg, loss_vs_time.svg and the diagnostics plots (diag_*.svg,
// when the runs logged diagnostics) from the runs' metrics; returns the report's text.
std::string write_sweep_report(const SweepSpec& spec);

}  // namespace bf
