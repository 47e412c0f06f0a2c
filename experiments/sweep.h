// Sweeps: one base config, named variants (each a list of --set overrides), seeds and optionally a grid
// of settings, run one after another into out_dir; then report.md with intervals, verdicts and plots
// (experiments/sweep_report.h). A stopped sweep continues where it was: finished runs are reused and
// interrupted ones resumed, but only when the run folder was trained with the config the sweep asks for
// now (train/config_diff.h); a run folder trained otherwise stops the sweep before anything trains,
// naming the variant, the folder and the keys that differ.
//
// SWEEP.json:
//   {"name": "...", "base": "path/to/config.json" (relative to the sweep file), "out_dir": "runs/sweeps/x",
//    "seeds": [0, 1, 2], "set": ["run.steps=2000", ...],
//    "baseline": "pre_ln" (optional; default: the first variant),
//    "target_loss": 2.0 (optional: steps to reach this training loss),
//    "grid": {"optim.lr": [1e-3, 2e-3, 4e-3], ...} (optional; several paths cross),
//    "grid_seeds": [0] (optional: tune on these seeds, then run the chosen point at every seed),
//    "report": "more" (optional: report.md and plots in out_dir/more, for a second sweep file that shares
//              out_dir, and so the runs, of a first; default: out_dir itself),
//    "final_eval": "whole_split" (optional: evaluate each finished run on the whole validation split,
//                  experiments/final_eval.h, and report that number as its final validation loss),
//    "variants": [{"name": "pre_ln", "set": ["model.preset=pre_ln"],
//                  "seeds": [...], "grid": {...}, "grid_seeds": [...]  (each optional: the sweep's by default)},
//                 ...]}
// Every variant runs at every point of its grid. The chosen point of a variant is the one with the lowest
// mean final training loss over its tuning seeds (grid_seeds, else seeds), as the paper tuned its
// learning rates; its runs at every seed are the variant's results.
#pragma once
#include <cmath>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <utility>
#include <vector>

#include "train/config.h"

namespace bf {

// One point of a grid: (path, JSON value) per grid path. The empty point means "no grid".
struct GridPoint {
  std::vector<std::pair<std::string, std::string>> values;
  std::string label() const;                     // "optim.lr=0.002" (the run folder name); "" when empty
  std::vector<std::string> overrides() const;    // "optim.lr=0.002", for load_config
};

struct SweepVariant {
  std::string name;
  std::vector<std::string> overrides;
  std::vector<uint64_t> seeds;       // the seeds of the results
  std::vector<uint64_t> grid_seeds;  // the seeds every grid point runs at (= seeds when not given)
  std::vector<GridPoint> grid;       // at least one point (the empty one without a grid)
  bool tuned_separately() const { return grid.size() > 1 && grid_seeds != seeds; }
};

struct SweepSpec {
  std::string name;
  std::string sweep_file;
  std::string base_as_written;  // "../pre_ln.json": what the report shows (the same from any folder)
  std::string base_config;      // resolved path
  std::string out_dir;
  std::vector<std::string> common_overrides;
  std::vector<SweepVariant> variants;
  size_t baseline = 0;  // index into variants
  bool whole_split_final_eval = false;
  std::string report_subdir = ".";  // where report.md goes, relative to out_dir
  double target_loss = NAN;
};

SweepSpec load_sweep(const std::string& path);

// The folder of one run: out_dir/<variant>[/<grid point>]/seed<k> (runs_root replaces out_dir).
std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, const GridPoint& point, uint64_t seed,
                          const std::string& runs_root = "");
std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, uint64_t seed);  // no grid

// The run folders of this invocation, by what happened to them.
struct SweepOutcome {
  std::vector<std::string> trained, resumed, reused;  // folders relative to out_dir
  std::vector<std::string> failed;                    // "folder: the error" (a diverged grid point, ...)
};

// The config of one run: base, the sweep's "set", the variant's, the grid point's, then seed and folder.
Config sweep_run_config(const SweepSpec& spec, const SweepVariant& variant, const GridPoint& point, uint64_t seed);

SweepOutcome run_sweep(const SweepSpec& spec, std::ostream& log, bool progress = true);

// The point whose runs at the tuning seeds have the lowest mean final training loss (points with an
// unfinished tuning run are not candidates); -1 while none is complete. `runs_root`: as run_directory.
int chosen_grid_point(const SweepSpec& spec, const SweepVariant& variant, const std::string& runs_root = "");

}  // namespace bf
