// `bareformer compare RUN_DIR...`: one row per run from its metrics.jsonl: parameters, steps done of
// planned (unfinished runs marked), tokens seen, tokens/s, final train and validation loss, bits per
// byte.  `bareformer plot RUN_DIR... [--out DIR]`: training (solid) and validation (dashed) loss against
// step and against training time, one colour per run, as SVG files, and the signal-propagation
// diagnostics of runs that logged them (experiments/diag_plots.h).  `bareformer sweep` (experiments/sweep.h).
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "core/error.h"
#include "io/atomic_file.h"
#include "experiments/diag_plots.h"
#include "experiments/run_record.h"
#include "experiments/svg_plot.h"
#include "experiments/sweep_plots.h"

namespace bf::cli {
namespace {

// A run's legend entry: the last two parts of its folder (runs/sweeps/x/sas_p/seed0 -> sas_p/seed0), which
// fit the legend and still tell sweep runs apart.
std::string legend_name(const std::string& dir) {
  std::filesystem::path p = std::filesystem::path(dir).lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  const std::string last = p.filename().string(), parent = p.parent_path().filename().string();
  return parent.empty() || parent == "." || parent == ".." ? last : parent + "/" + last;
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto dirs = std::make_shared<std::vector<std::string>>();
  CLI::App* sub = app.add_subcommand("compare", "Side-by-side table of runs (from their metrics.jsonl)");
  sub->add_option("runs", *dirs, "Run folders (run.out_dir)")->required();
  return {sub, [dirs]() {
            std::printf("%-28s %-14s %12s %13s %12s %10s %11s %9s %8s\n", "run", "preset", "parameters", "steps", "tokens seen",
                        "tokens/s", "train loss", "val loss", "val bpb");
            int unfinished = 0;
            for (const std::string& dir : *dirs) {
              const RunRecord r = read_run(dir);
              const std::string steps = std::to_string(r.last_step) + "/" + std::to_string(r.planned_steps) + (r.finished ? "" : " *");
              unfinished += !r.finished;
              std::printf("%-28s %-14s %12lld %13s %12lld %10.0f %11.4f %9.4f %8.4f\n", dir.c_str(), r.preset.c_str(), r.params,
                          steps.c_str(), static_cast<long long>(r.tokens_seen()), r.median_tokens_per_s, r.final_train_loss(),
                          r.final_val_loss(), r.final_val_bpb());
            }
            if (unfinished)
              std::printf("* unfinished (running, or stopped before its last step: `bareformer train --resume RUN` continues it); "
                          "its losses are those of its last logged step\n");
            return 0;
          }};
}

Command add_plot_command(CLI::App& app) {
  struct Options {
    std::vector<std::string> dirs;
    std::string out = ".";
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("plot", "Loss curves of runs as SVG (against step and training time), and their diagnostics (run.diag_every)");
  sub->add_option("runs", opt->dirs, "Run folders")->required();
  sub->add_option("--out", opt->out, "Folder for loss_vs_step.svg, loss_vs_time.svg and diag_*.svg (created when missing)");
  return {sub, [opt]() {
            std::vector<LossCurveGroup> groups;
            std::vector<DiagGroup> diag_groups;
            for (const std::string& dir : opt->dirs) {
              const RunRecord r = read_run(dir);
              diag_groups.push_back({legend_name(dir), {r}});
              groups.push_back({legend_name(dir), {r}});
            }
            std::error_code ec;
            std::filesystem::create_directories(opt->out, ec);
            BF_CHECK(!ec, "plot --out ", opt->out, ": cannot create the folder (", ec.message(), ")");
            write_file_atomically(opt->out + "/loss_vs_step.svg", loss_plot("runs", groups, false));
            write_file_atomically(opt->out + "/loss_vs_time.svg", loss_plot("runs", groups, true));
            std::printf("wrote %s/loss_vs_step.svg and %s/loss_vs_time.svg\n", opt->out.c_str(), opt->out.c_str());
            for (const std::string& f : write_diagnostic_plots(opt->out, diag_groups))
              std::printf("wrote %s/%s\n", opt->out.c_str(), f.c_str());
            return 0;
          }};
}

}  // namespace bf::cli

#include <iostream>

#include "core/error.h"
#include "experiments/sweep.h"
#include "experiments/sweep_report.h"

namespace bf::cli {

Command add_sweep_command(CLI::App& app) {
  struct Options {
    std::string sweep, runs;
    bool report_only = false;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand("sweep", "Run a sweep (variants x grid x seeds), reusing finished runs of the same config, then write report.md");
  sub->add_option("sweep", opt->sweep, "Sweep JSON (see configs/sweeps/)")->required();
  sub->add_flag("--report-only", opt->report_only, "Only (re)write report.md and the plots from the runs so far");
  sub->add_option("--runs", opt->runs, "With --report-only: read the run folders from DIR (e.g. committed ones) and write the report there");
  return {sub, [opt]() {
            SweepSpec spec = load_sweep(opt->sweep);
            BF_CHECK(opt->runs.empty() || opt->report_only, "sweep --runs ", opt->runs, ": only with --report-only (a sweep trains into its out_dir)");
            if (!opt->report_only) {
              const SweepOutcome o = run_sweep(spec, std::cout);
              std::cout << "sweep " << spec.name << ": " << o.trained.size() << " trained now, " << o.resumed.size()
                        << " resumed, " << o.reused.size() << " reused (finished with the same config)"
                        << (o.failed.empty() ? "" : ", " + std::to_string(o.failed.size()) + " failed") << "\n";
              for (const std::string& f : o.failed) std::cout << "  failed: " << f << "\n";
              std::cout << "report: " << spec.out_dir << "/" << spec.report_subdir << "/report.md\n";
              return 0;
            }
            SweepReportOptions options;
            options.runs_root = opt->runs;
            std::cout << write_sweep_report(spec, options) << "\nreport: " << (opt->runs.empty() ? spec.out_dir : opt->runs)
                      << "/" << spec.report_subdir << "/report.md\n";
            return 0;
          }};
}

}  // namespace bf::cli
