#include "train/run_record.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/error.h"

namespace bf {

static double last_or_nan(const std::vector<double>& v) { return v.empty() ? NAN : v.back(); }
double RunRecord::final_train_loss() const { return last_or_nan(train_loss); }
double RunRecord::final_val_loss() const { return last_or_nan(val_loss); }
double RunRecord::final_val_bpb() const { return last_or_nan(val_bpb); }

double RunRecord::first_step_at_or_below(double target) const {
  for (size_t i = 0; i < train_loss.size(); ++i)
    if (train_loss[i] <= target) return train_step[i];
  return NAN;
}

RunRecord read_run(const std::string& dir) {
  RunRecord run;
  run.dir = dir;
  std::ifstream in(dir + "/metrics.jsonl");
  BF_CHECK(in.good(), dir, "/metrics.jsonl: cannot open (is ", dir, " a run folder?)");
  std::ifstream config_in(dir + "/config.json");
  if (config_in.good()) {
    auto config = nlohmann::json::parse(config_in, nullptr, false);
    if (config.is_object() && config.contains("model") && config["model"].is_object())
      run.preset = config["model"].value("preset", "?");
  }
  double tps_sum = 0;
  std::string line;
  while (std::getline(in, line)) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) continue;  // a line cut short by a crash
    const std::string kind = e.value("event", "");
    if (kind == "start") run.params = e.value("params", 0LL);
    if (kind == "train") {
      run.train_step.push_back(e.value("step", 0.0));
      run.train_loss.push_back(e.value("loss", NAN));
      run.train_elapsed_s.push_back(e.value("elapsed_s", 0.0));
      tps_sum += e.value("tokens_per_s", 0.0);
    }
    if (kind == "eval") {
      run.eval_step.push_back(e.value("step", 0.0));
      run.val_loss.push_back(e.value("val_loss", NAN));
      run.val_bpb.push_back(e.value("val_bpb", NAN));
    }
  }
  if (!run.train_loss.empty()) run.mean_tokens_per_s = tps_sum / double(run.train_loss.size());
  return run;
}

}  // namespace bf
