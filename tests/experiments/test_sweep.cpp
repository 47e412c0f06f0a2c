// Sweeps: a stopped sweep reuses finished runs only when their config matches, grids cross every
// variant, and the report's tables are computed from the runs' metrics files.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tiny_corpus.h"
#include "core/error.h"
#include "experiments/diag_plots.h"
#include "train/config_diff.h"
#include "experiments/run_record.h"
#include "experiments/svg_plot.h"
#include "experiments/sweep.h"
#include "experiments/sweep_report.h"

using namespace bf;
namespace fs = std::filesystem;

namespace {

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::ostringstream all;
  all << in.rdbuf();
  return all.str();
}

// The table row of the report that starts with "| name |" (under the section `section`).
std::string row_of(const std::string& report, const std::string& section, const std::string& name) {
  const size_t at = report.find(section);
  if (at == std::string::npos) return "";
  const size_t row = report.find("| " + name + " |", at);
  return row == std::string::npos ? "" : report.substr(row, report.find('\n', row) - row);
}

// A 1-layer, 6-step base config on a tiny corpus, and a sweep over it (`body` holds seeds and variants).
fs::path write_sweep(const fs::path& dir, const std::string& body) {
  std::ofstream(dir / "base.json") << R"({"model": {"preset": "pre_ln", "n_layer": 1, "d_model": 16, "n_head": 2, "max_seq_len": 16},
                             "data": {"dir": ")" << dir.string() << R"(", "seq_len": 16, "batch_size": 4},
                             "run": {"steps": 6, "log_every": 2, "eval_every": 3, "eval_batches": 1, "threads": 1,
                                     "diag_every": 3}})";
  const fs::path sweep_path = dir / "sweep.json";
  std::ofstream(sweep_path) << R"({"name": "t", "base": "base.json", "out_dir": ")" << (dir / "out").string() << R"(", )" << body << "}";
  return sweep_path;
}

}  // namespace

TEST_CASE("a sweep reuses finished runs of the same config and its report matches the metrics") {
  fs::path dir = test::make_corpus("sweep");
  const fs::path sweep_path = write_sweep(dir, R"("seeds": [0, 1], "target_loss": 100,
      "variants": [{"name": "a", "set": ["model.preset=pre_ln"]}, {"name": "b", "set": ["model.preset=sas_p"]}])");
  SweepSpec spec = load_sweep(sweep_path.string());
  std::ostringstream log;
  SweepOutcome first = run_sweep(spec, log, false);
  CHECK(first.trained.size() == 4);
  CHECK(first.reused.empty());
  SweepOutcome second = run_sweep(spec, log, false);
  CHECK(second.trained.empty());
  CHECK(second.reused == std::vector<std::string>{"a/seed0", "a/seed1", "b/seed0", "b/seed1"});
  const std::string with_outcome = read_text(dir / "out" / "report.md");
  CHECK(with_outcome.find("- reused (finished, same config) (4): `a/seed0` `a/seed1` `b/seed0` `b/seed1`") != std::string::npos);
  CHECK(with_outcome.find("- trained now (0):") != std::string::npos);

  // The results row of b: its final validation loss is the mean over the two seeds, with the t interval
  // mean +- 12.706 sd / sqrt(2).
  const RunRecord b0 = read_run(run_directory(spec, spec.variants[1], 0));
  const RunRecord b1 = read_run(run_directory(spec, spec.variants[1], 1));
  const RunRecord a0 = read_run(run_directory(spec, spec.variants[0], 0));
  const RunRecord a1 = read_run(run_directory(spec, spec.variants[0], 1));
  CHECK(b0.tokens_per_step == 64);
  CHECK(b0.tokens_seen() == 6 * 64);
  CHECK(!b0.config_hash.empty());
  auto interval_text = [](double x0, double x1, bool sign) {
    const double mean = 0.5 * (x0 + x1), half = 12.7062047 * std::fabs(x0 - x1) / 2;  // sd = |x0 - x1| / sqrt 2
    char buf[96];
    std::snprintf(buf, sizeof buf, sign ? "%+.4f [%+.4f, %+.4f]" : "%.4f [%.4f, %.4f]", mean, mean - half, mean + half);
    return std::string(buf);
  };
  const std::string report = write_sweep_report(spec);
  const std::string b_row = row_of(report, "## Results", "b");
  INFO(report);
  CHECK(b_row.find(interval_text(b0.final_val_loss(), b1.final_val_loss(), false)) != std::string::npos);
  CHECK(b_row.find("| 2/2 | 6 | 384 |") != std::string::npos);  // seeds, steps, tokens seen
  // Paired with a, seed by seed.
  const std::string paired = row_of(report, "## Against a", "b");
  const double d0 = b0.final_val_loss() - a0.final_val_loss(), d1 = b1.final_val_loss() - a1.final_val_loss();
  CHECK(paired.find("| b | 2 | " + interval_text(d0, d1, true) + " |") != std::string::npos);
  CHECK(paired.find(" seeds") != std::string::npos);  // a verdict
  // At every evaluation (steps 3 and 6).
  CHECK(report.find("\n### b\n\n| step | tokens seen | Δ val loss | verdict |\n|---|---|---|---|\n| 3 | 192 |") != std::string::npos);
  CHECK(row_of(report, "## Steps to a training loss of 100", "b").find("| 2/2 | 2 [2, 2] |") != std::string::npos);
  CHECK(report.find("This invocation") == std::string::npos);  // only when the sweep itself writes it
  CHECK(report.find("| b/seed1 | finished | 6/6 | 384 |") != std::string::npos);
  for (const char* f : {"loss_vs_step.svg", "diff_val_b.svg", "diag_token_cosine_by_layer.svg", "diag_alpha_by_layer.svg"}) {
    INFO(f);
    CHECK(fs::exists(dir / "out" / f));
    CHECK(report.find(std::string("(") + f + ")") != std::string::npos);
  }
  CHECK(read_text(dir / "out" / "loss_vs_step.svg").find("stroke-dasharray") != std::string::npos);  // validation curves
  REQUIRE(b0.diagnostics.size() == 2);
  CHECK(report.find("## Block gains at the end") != std::string::npos);

  // A run without its "end" event (still running, or killed) is left out, and said so.
  const std::string metrics = run_directory(spec, spec.variants[1], 1) + "/metrics.jsonl";
  std::string text = read_text(metrics);
  text = text.substr(0, text.rfind("{\"", text.size() - 2));  // drop the last line: the end event
  std::ofstream(metrics, std::ios::trunc) << text;
  const std::string partial = write_sweep_report(spec);
  CHECK(row_of(partial, "## Results", "b").find("| 1/2 |") != std::string::npos);
  CHECK(partial.find("| b/seed1 | unfinished |") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a sweep refuses a run folder trained with another config, naming the variant and the keys") {
  fs::path dir = test::make_corpus("sweep_changed");
  fs::path sweep_path = write_sweep(dir, R"("seeds": [0], "variants": [{"name": "a"}, {"name": "b", "set": ["optim.lr=0.002"]}])");
  std::ostringstream log;
  run_sweep(load_sweep(sweep_path.string()), log, false);
  const fs::path run_b = dir / "out" / "b" / "seed0";
  const std::string metrics_before = read_text(run_b / "metrics.jsonl");

  // A key the saved config lacks (added to the schema since) is equal when the sweep leaves it at its default.
  nlohmann::json saved = nlohmann::json::parse(read_text(run_b / "config.json"));
  saved["run"].erase("skip_nonfinite_steps");
  std::ofstream(run_b / "config.json", std::ios::trunc) << saved.dump(2);
  std::string metrics = metrics_before;  // and its recorded hash is of the schema it was trained with
  const size_t hash_at = metrics.find("fnv1a64:");
  REQUIRE(hash_at != std::string::npos);
  metrics.replace(hash_at + 8, 16, std::string(16, '0'));
  std::ofstream(run_b / "metrics.jsonl", std::ios::trunc) << metrics;
  SweepOutcome again = run_sweep(load_sweep(sweep_path.string()), log, false);
  CHECK(again.reused.size() == 2);
  CHECK(read_text(dir / "out" / "report.md").find("| b/seed0 | finished | 6/6 | 384 | ") != std::string::npos);

  // Setting that key, or changing the variant's learning rate: refused before anything trains.
  sweep_path = write_sweep(dir, R"("seeds": [0], "variants": [{"name": "a"}, {"name": "b", "set": ["optim.lr=0.003"]}])");
  const std::string expected = "variant \"b\" seed 0 (" + run_b.string() +
                               ") was trained with another config: optim.lr (run: 0.002, now: 0.003)";
  CHECK_THROWS_WITH_AS(run_sweep(load_sweep(sweep_path.string()), log, false), doctest::Contains(expected.c_str()), Error);
  sweep_path = write_sweep(dir, R"("seeds": [0], "set": ["run.skip_nonfinite_steps=true"], "variants": [{"name": "a"}, {"name": "b", "set": ["optim.lr=0.002"]}])");
  CHECK_THROWS_WITH_AS(run_sweep(load_sweep(sweep_path.string()), log, false),
                       doctest::Contains("run.skip_nonfinite_steps (run: false, now: true) (and 1 more run folders differ)"), Error);
  Config wanted = sweep_run_config(load_sweep(sweep_path.string()), load_sweep(sweep_path.string()).variants[1], GridPoint{}, 0);
  CHECK(describe_changes(config_differences(saved, wanted)) == "run.skip_nonfinite_steps (run: absent, now: true)");
  CHECK(read_text(run_b / "metrics.jsonl") == metrics);  // nothing was touched
  fs::remove_all(dir);
}

TEST_CASE("a sweep refuses two variants of one name and unknown variant keys") {
  fs::path dir = test::make_corpus("sweep_dup");
  CHECK_THROWS_WITH_AS(load_sweep(write_sweep(dir, R"("seeds": [0], "variants": [{"name": "a"}, {"name": "a", "set": ["optim.lr=0.002"]}])").string()),
                       doctest::Contains("two variants are named \"a\""), Error);
  CHECK_THROWS_WITH_AS(load_sweep(write_sweep(dir, R"("seeds": [0, 0], "variants": [{"name": "a"}])").string()),
                       doctest::Contains("seed 0 is listed twice"), Error);
  CHECK_THROWS_WITH_AS(load_sweep(write_sweep(dir, R"("seeds": [0], "variants": [{"name": "a", "seed": [1]}])").string()),
                       doctest::Contains("unknown key \"seed\""), Error);
  CHECK_THROWS_WITH_AS(load_sweep(write_sweep(dir, R"("seeds": [0], "baseline": "z", "variants": [{"name": "a"}])").string()),
                       doctest::Contains("baseline \"z\" is not one of the variants"), Error);
  fs::remove_all(dir);
}

TEST_CASE("a grid crosses every variant; the report names each chosen point by training loss and flags the edge") {
  fs::path dir = test::make_corpus("sweep_grid");
  // Two learning rates tuned on seed 0, then the chosen one at seeds 0 and 1; variant b has its own
  // grid (three rates) and seeds.
  const fs::path sweep_path = write_sweep(dir, R"("seeds": [0, 1], "grid": {"optim.lr": [0.0001, 0.01]}, "grid_seeds": [0],
      "variants": [{"name": "a"}, {"name": "b", "set": ["model.preset=sas_p"], "grid": {"optim.lr": [0.0001, 0.001, 0.01]}, "seeds": [0, 1, 2]}])");
  const SweepSpec spec = load_sweep(sweep_path.string());
  REQUIRE(spec.variants[0].grid.size() == 2);
  CHECK(spec.variants[0].grid[1].label() == "optim.lr=0.01");
  std::ostringstream log;
  const SweepOutcome o = run_sweep(spec, log, false);
  // a: 2 points at seed 0, then seed 1 at the chosen point; b: 3 points at seed 0, then seeds 1 and 2.
  CHECK(o.trained.size() == 3 + 5);
  for (const SweepVariant& v : spec.variants)
    for (const GridPoint& p : v.grid) CHECK(fs::exists(run_directory(spec, v, p, 0) + "/metrics.jsonl"));
  // The chosen point: the lowest final training loss at seed 0, computed here from the metrics.
  for (const SweepVariant& v : spec.variants) {
    int best = -1;
    double best_loss = INFINITY;
    for (size_t p = 0; p < v.grid.size(); ++p) {
      const double loss = read_run(run_directory(spec, v, v.grid[p], 0)).final_train_loss();
      if (loss < best_loss) best_loss = loss, best = int(p);
    }
    CHECK(chosen_grid_point(spec, v) == best);
    CHECK(fs::exists(run_directory(spec, v, v.grid[best], 1) + "/metrics.jsonl"));
  }
  const std::string report = write_sweep_report(spec);
  INFO(report);
  const SweepVariant& a = spec.variants[0];
  const std::string chosen_a = a.grid[chosen_grid_point(spec, a)].label();
  CHECK(report.find("| **`" + chosen_a + "`** | 1/1 |") != std::string::npos);
  CHECK(row_of(report, "## Results", "a").find("`" + chosen_a + "` | 2/2 |") != std::string::npos);
  // With two points, either choice is at an edge of a's grid.
  CHECK(report.find("**Edge of the grid:** the chosen optim.lr = " + chosen_a.substr(9)) != std::string::npos);
  CHECK(row_of(report, "## Tuning budget", "a").find("| 2 | 3 |") != std::string::npos);  // 2 points, 3 runs
  CHECK(row_of(report, "## Tuning budget", "b").find("| 3 | 5 |") != std::string::npos);
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

TEST_CASE("a run's tokens/s is the median of its logging windows: one stalled window does not move it") {
  const fs::path dir = fs::temp_directory_path() / "bf_median_tps";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "metrics.jsonl") << R"({"event":"start","step":0,"params":10}
{"event":"train","step":10,"loss":3.0,"tokens_per_s":1000,"elapsed_s":1}
{"event":"train","step":20,"loss":2.9,"tokens_per_s":1010,"elapsed_s":2}
{"event":"train","step":30,"loss":2.8,"tokens_per_s":4,"elapsed_s":200}
{"event":"train","step":40,"loss":2.7,"tokens_per_s":990,"elapsed_s":201}
{"event":"end","step":40}
)";
  CHECK(read_run(dir.string()).median_tokens_per_s == doctest::Approx(995));  // the mean would be 751
  fs::remove_all(dir);
}
