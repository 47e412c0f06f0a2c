// bench_sweep_report: the time to write a sweep report (report.md and every plot) from 100 finished runs
// with 10 evaluations each: 5 variants x a 4-point grid x 5 seeds, synthetic metrics.jsonl and config.json
// files written into a temp folder first. Target: under 2 s. Prints one table.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include "train/config_diff.h"
#include "experiments/sweep.h"
#include "experiments/sweep_report.h"

namespace fs = std::filesystem;

int main() {
  const fs::path dir = fs::temp_directory_path() / ("bench_sweep_report_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "base.json") << R"({"model": {"preset": "pre_ln"}, "run": {"steps": 1000, "log_every": 10, "eval_every": 100}})";
  std::ofstream(dir / "sweep.json") << R"({"name": "bench", "base": "base.json", "out_dir": ")" << (dir / "runs").string() << R"(",
      "seeds": [0, 1, 2, 3, 4], "grid": {"optim.lr": [0.0005, 0.001, 0.002, 0.004]}, "target_loss": 2.0,
      "variants": [{"name": "pre_ln"}, {"name": "parallel", "set": ["model.preset=parallel"]}, {"name": "sas", "set": ["model.preset=sas"]},
                   {"name": "sas_p", "set": ["model.preset=sas_p"]}, {"name": "skipless", "set": ["model.preset=skipless"]}]})";
  const bf::SweepSpec spec = bf::load_sweep((dir / "sweep.json").string());
  int runs = 0;
  for (size_t v = 0; v < spec.variants.size(); ++v)
    for (size_t p = 0; p < spec.variants[v].grid.size(); ++p)
      for (uint64_t seed : spec.variants[v].seeds) {
        const bf::Config config = bf::sweep_run_config(spec, spec.variants[v], spec.variants[v].grid[p], seed);
        fs::create_directories(config.run.out_dir);
        std::ofstream(config.run.out_dir + "/config.json") << bf::to_json(config).dump(2);
        std::ofstream m(config.run.out_dir + "/metrics.jsonl");
        m << nlohmann::json{{"event", "start"}, {"step", 0}, {"params", 4823552}, {"config_hash", bf::config_hash(config)}}.dump() << "\n";
        for (int step = 10; step <= 1000; step += 10) {
          const double loss = 3.0 - 0.001 * step + 0.01 * v + 0.003 * p + 0.002 * double(seed);
          m << nlohmann::json{{"event", "train"}, {"step", step}, {"loss", loss}, {"tokens_per_s", 2500.0 + seed},
                              {"elapsed_s", 0.8 * step}}.dump() << "\n";
          if (step % 100 == 0)
            m << nlohmann::json{{"event", "eval"}, {"step", step}, {"val_loss", loss + 0.03}, {"val_bpb", (loss + 0.03) / 0.6931}}.dump() << "\n";
        }
        m << nlohmann::json{{"event", "end"}, {"step", 1000}, {"elapsed_s", 800.0}}.dump() << "\n";
        ++runs;
      }
  double best = 1e9;
  size_t bytes = 0;
  for (int rep = 0; rep < 5; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    bytes = bf::write_sweep_report(spec).size();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("| runs | evaluations per run | train events per run | report bytes | best of 5 (s) | target (s) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  std::printf("| %d | 10 | 100 | %zu | %.3f | 2 |\n", runs, bytes, best);
  fs::remove_all(dir);
  return best < 2.0 ? 0 : 1;
}
