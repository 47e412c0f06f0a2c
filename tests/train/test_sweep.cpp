// Sweeps: a stopped sweep resumes by skipping finished runs, and the report's table is computed from
// the runs' metrics files.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tiny_corpus.h"
#include "core/error.h"
#include "train/diag_plots.h"
#include "train/run_record.h"
#include "train/svg_plot.h"
#include "train/sweep.h"

using namespace bf;
namespace fs = std::filesystem;

TEST_CASE("a sweep skips finished runs and its report matches the metrics") {
  fs::path dir = test::make_corpus("sweep");
  const fs::path base = dir / "base.json";
  std::ofstream(base) << R"({"model": {"preset": "pre_ln", "n_layer": 1, "d_model": 16, "n_head": 2, "max_seq_len": 16},
                             "data": {"dir": ")" << dir.string() << R"(", "seq_len": 16, "batch_size": 4},
                             "run": {"steps": 6, "log_every": 2, "eval_every": 0, "eval_batches": 1, "threads": 1,
                                     "diag_every": 3}})";
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
  // The paired table: b - a seed by seed.
  const RunRecord a0 = read_run(run_directory(spec, spec.variants[0], 0));
  const RunRecord a1 = read_run(run_directory(spec, spec.variants[0], 1));
  const double d0 = b0.final_val_loss() - a0.final_val_loss(), d1 = b1.final_val_loss() - a1.final_val_loss();
  std::snprintf(expected, sizeof expected, "| b | %+.4f ± %.4f |", 0.5 * (d0 + d1), std::sqrt(0.5 * (d0 - d1) * (d0 - d1)));
  CHECK(report.find("Paired with `a`") != std::string::npos);
  CHECK(report.find(expected) != std::string::npos);
  // Diagnostics every 3 steps: plots per quantity, linked from the report (sas_p has shaped-attention gains).
  for (const char* f : {"diag_token_cosine_by_layer.svg", "diag_token_cosine_vs_step.svg", "diag_alpha_by_layer.svg"}) {
    INFO(f);
    CHECK(fs::exists(dir / "out" / f));
    CHECK(report.find(std::string("](") + f + ")") != std::string::npos);
  }
  REQUIRE(b0.diagnostics.size() == 2);
  CHECK(report.find("started but not finished") == std::string::npos);

  // A run without its "end" event (still running, or killed) is left out of the table, and said so.
  const std::string metrics = run_directory(spec, spec.variants[1], 1) + "/metrics.jsonl";
  std::string text;
  {
    std::ifstream in(metrics);
    std::ostringstream all;
    all << in.rdbuf();
    text = all.str();
  }
  text = text.substr(0, text.rfind("{\"", text.size() - 2));  // drop the last line: the end event
  std::ofstream(metrics, std::ios::trunc) << text;
  const std::string partial = write_sweep_report(spec);
  CHECK(partial.find("1 run(s) started but not finished are left out") != std::string::npos);
  const size_t b_row = partial.find("| b |");
  REQUIRE(b_row != std::string::npos);
  CHECK(partial.substr(b_row, partial.find('\n', b_row) - b_row).find("| 1 |") != std::string::npos);
  CHECK(b0.diagnostics[1].step == 6);
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

TEST_CASE("diagnostic plot series: per layer and per step, mean and min..max over runs, n/a values left out") {
  // Two runs of one variant, hand-made diag events: 3 layers (embed, blocks.0, blocks.1).
  auto event = [](int step, double cos0, double cos1, double cos2, const char* alpha_heads) {
    return nlohmann::json::parse(R"({"event": "diag", "step": )" + std::to_string(step) + R"(, "layers": [
        {"name": "embed", "token_cosine": )" + std::to_string(cos0) + R"(, "grad_norm": -1, "alpha": [], "gains": {}},
        {"name": "blocks.0", "token_cosine": )" + std::to_string(cos1) + R"(, "grad_norm": 0.5, "alpha": )" + alpha_heads + R"(,
         "gains": {"b_FF": 0.25}},
        {"name": "blocks.1", "token_cosine": )" + std::to_string(cos2) + R"(, "grad_norm": 1.5, "alpha": [2, 4], "gains": {"b_FF": 0.75}}]})");
  };
  RunRecord r0, r1;
  r0.diagnostics = {diag_snapshot_from_event(event(10, 0.1, 0.2, 0.3, "[1, 3]")),
                    diag_snapshot_from_event(event(20, 0.1, 0.4, 0.6, "[1, 3]"))};
  r1.diagnostics = {diag_snapshot_from_event(event(10, 0.1, 0.2, 0.5, "[1, 1]")),
                    diag_snapshot_from_event(event(20, 0.3, 0.6, 0.8, "[1, 1]"))};
  // -1 is "not applicable": the embedding has no gradient norm here; gains and mean-over-heads alphas.
  CHECK(std::isnan(r0.diagnostics[0].values.at("grad_norm")[0]));
  CHECK(r0.diagnostics[0].values.at("alpha")[1] == doctest::Approx(2.0));  // (1 + 3) / 2
  CHECK(std::isnan(r0.diagnostics[0].values.at("alpha")[0]));
  CHECK(r0.diagnostics[0].values.at("gain b_FF")[2] == doctest::Approx(0.75));
  const DiagGroup group{"v", {r0, r1}};

  // Per layer at the last step (20): mean and min..max over the two runs.
  const PlotSeries cos = diag_by_layer_series(group, "token_cosine");
  REQUIRE(cos.x.size() == 3);
  CHECK(cos.x[2] == 2);
  CHECK(cos.y[0] == doctest::Approx(0.2));
  CHECK(cos.y[1] == doctest::Approx(0.5));
  CHECK(cos.y[2] == doctest::Approx(0.7));
  CHECK(cos.lo[2] == doctest::Approx(0.6));
  CHECK(cos.hi[2] == doctest::Approx(0.8));
  const PlotSeries grad = diag_by_layer_series(group, "grad_norm");  // the embedding's n/a is no point
  REQUIRE(grad.x.size() == 2);
  CHECK(grad.x[0] == 1);

  // Against step: the deepest layer's value, mean over runs.
  const PlotSeries deep = diag_vs_step_series(group, "token_cosine");
  REQUIRE(deep.x.size() == 2);
  CHECK(deep.x[0] == 10);
  CHECK(deep.y[0] == doctest::Approx(0.4));  // (0.3 + 0.5) / 2
  CHECK(deep.y[1] == doctest::Approx(0.7));
  const PlotSeries alpha = diag_vs_step_series(group, "alpha");
  CHECK(alpha.y[0] == doctest::Approx(3.0));  // blocks.1: mean over heads (2 + 4) / 2 in both runs
}
