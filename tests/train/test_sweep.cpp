// Sweeps: a stopped sweep resumes by skipping finished runs, and the report's table is computed from
// the runs' metrics files.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tiny_corpus.h"
#include "core/error.h"
#include "train/run_record.h"
#include "train/sweep.h"

using namespace bf;
namespace fs = std::filesystem;

TEST_CASE("a sweep skips finished runs and its report matches the metrics") {
  fs::path dir = test::make_corpus("sweep");
  const fs::path base = dir / "base.json";
  std::ofstream(base) << R"({"model": {"preset": "pre_ln", "n_layer": 1, "d_model": 16, "n_head": 2, "max_seq_len": 16},
                             "data": {"dir": ")" << dir.string() << R"(", "seq_len": 16, "batch_size": 4},
                             "run": {"steps": 6, "log_every": 2, "eval_every": 0, "eval_batches": 1, "threads": 1}})";
  const fs::path sweep_path = dir / "sweep.json";
  std::ofstream(sweep_path) << R"({"name": "t", "base": "base.json", "out_dir": ")" << (dir / "out").string()
                            << R"(", "seeds": [0, 1], "target_loss": 100,
                               "variants": [{"name": "a", "set": ["model.preset=pre_ln"]}, {"name": "b", "set": ["model.preset=sas_p"]}]})";
  SweepSpec spec = load_sweep(sweep_path.string());
  std::ostringstream log;
  SweepOutcome first = run_sweep(spec, log, false);
  CHECK(first.ran == 4);
  CHECK(first.skipped == 0);
  SweepOutcome second = run_sweep(spec, log, false);
  CHECK(second.ran == 0);
  CHECK(second.skipped == 4);

  // The report row of variant b: its final losses are the mean over the two seeds' metrics.
  const RunRecord b0 = read_run(run_directory(spec, spec.variants[1], 0));
  const RunRecord b1 = read_run(run_directory(spec, spec.variants[1], 1));
  char expected[64];
  std::snprintf(expected, sizeof expected, "%.4f", 0.5 * (b0.final_val_loss() + b1.final_val_loss()));
  const std::string report = write_sweep_report(spec);
  const size_t row = report.find("| b |");
  REQUIRE(row != std::string::npos);
  const std::string line = report.substr(row, report.find('\n', row) - row);
  CHECK(line.find(std::string(expected) + " ± ") != std::string::npos);
  CHECK(line.find("| 2 |") != std::string::npos);  // two runs
  CHECK(line.find("| 2 ± 0 |") != std::string::npos);  // target 100 reached at the first logged step (2)
  CHECK(fs::exists(dir / "out" / "loss_vs_step.svg"));
  fs::remove_all(dir);
}

TEST_CASE("a sweep with a bad override fails before anything runs") {
  fs::path dir = test::make_corpus("sweep_bad");
  std::ofstream(dir / "base.json") << R"({"data": {"dir": ")" << dir.string() << R"("}})";
  std::ofstream(dir / "sweep.json") << R"({"name": "t", "base": "base.json", "out_dir": "x", "seeds": [0],
                                          "variants": [{"name": "a", "set": ["model.n_layers=2"]}]})";
  CHECK_THROWS_WITH_AS(load_sweep((dir / "sweep.json").string()), doctest::Contains("did you mean \"model.n_layer\""), Error);
  fs::remove_all(dir);
}
