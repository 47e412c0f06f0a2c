#include "experiments/run_record.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iostream>
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

DiagSnapshot diag_snapshot_from_event(const nlohmann::json& event) {
  DiagSnapshot snap;
  snap.step = event.value("step", 0.0);
  if (!event.contains("layers") || !event["layers"].is_array()) return snap;
  const auto& layers = event["layers"];
  const size_t n = layers.size();
  auto slot = [&](const std::string& quantity) -> std::vector<double>& {
    auto [it, fresh] = snap.values.try_emplace(quantity, n, NAN);
    return it->second;
  };
  for (size_t i = 0; i < n; ++i) {
    const auto& layer = layers[i];
    if (!layer.is_object()) continue;
    snap.layers.resize(n);
    snap.layers[i] = layer.value("name", "layer " + std::to_string(i));
    // Scalars: null or -1 is the trainer's "not applicable" (-1 only where real values are >= 0; files
    // written before value_beta_over_alpha became null also used -1 for it, which a real ratio never is).
    for (const std::string q : {"activation_rms", "token_cosine", "attention_entropy", "grad_norm", "value_beta_over_alpha"}) {
      const bool number = layer.contains(q) && layer[q].is_number();
      const double v = number ? layer[q].get<double>() : NAN;
      const bool signed_quantity = q == "token_cosine" || q == "value_beta_over_alpha";
      slot(q)[i] = (signed_quantity ? v == -1.0 : v < 0) ? NAN : v;
    }
    // Per-head gains: the mean over heads.
    for (const char* q : {"alpha", "beta", "gamma"}) {
      if (!layer.contains(q) || !layer[q].is_array() || layer[q].empty()) continue;
      double sum = 0;
      for (const auto& h : layer[q]) sum += h.is_number() ? h.get<double>() : NAN;
      slot(q)[i] = sum / double(layer[q].size());
    }
    if (layer.contains("gains") && layer["gains"].is_object())
      for (auto it = layer["gains"].begin(); it != layer["gains"].end(); ++it)
        if (it.value().is_number()) slot("gain " + it.key())[i] = it.value().get<double>();
  }
  return snap;
}

RunRecord read_run(const std::string& dir) {
  RunRecord run;
  run.dir = dir;
  std::ifstream in(dir + "/metrics.jsonl");
  BF_CHECK(in.good(), dir, "/metrics.jsonl: cannot open (is ", dir, " a run folder?)");
  std::ifstream config_in(dir + "/config.json");
  if (config_in.good()) {
    auto config = nlohmann::json::parse(config_in, nullptr, false);
    if (config.is_object() && config.contains("model") && config["model"].is_object() &&
        config["model"].contains("preset") && config["model"]["preset"].is_string())
      run.preset = config["model"]["preset"].get<std::string>();
    auto integer = [&](const char* section, const char* key) -> int64_t {
      if (!config.is_object() || !config.contains(section) || !config[section].is_object()) return 0;
      const auto& s = config[section];
      return s.contains(key) && s[key].is_number_integer() ? s[key].get<int64_t>() : 0;
    };
    run.planned_steps = integer("run", "steps");
    run.tokens_per_step = integer("data", "batch_size") * integer("data", "seq_len");
    run.seq_len = integer("data", "seq_len");
    run.eval_windows = integer("run", "eval_batches") * integer("data", "batch_size");
  }
  std::vector<double> window_tokens_per_s;  // tokens/s of each "train" event (one logging window)
  long long final_eval_step = -1;
  std::string line;
  int64_t first_bad_line = 0;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    auto e = nlohmann::json::parse(line, nullptr, false);
    if (e.is_discarded() || !e.is_object()) {  // cut short by a crash, or damaged: counted and reported
      if (run.skipped_lines++ == 0) first_bad_line = number;
      continue;
    }
    try {  // json::value throws type_error for a field of the wrong type (a hand-edited line): skipped
      const std::string kind = e.value("event", "");
      if (kind == "start") {
        run.params = e.value("params", 0LL), run.finished = false;
        if (run.config_hash.empty()) run.config_hash = e.value("config_hash", "");
      }
      if (e.contains("step") && e["step"].is_number()) run.last_step = std::max<int64_t>(run.last_step, e["step"].get<int64_t>());
      if (e.contains("elapsed_s") && e["elapsed_s"].is_number()) run.elapsed_s = e["elapsed_s"].get<double>();
      if (kind == "end") run.finished = true;
      if (kind == "train") {
        const double step = e.value("step", 0.0), loss = e.value("loss", NAN), elapsed = e.value("elapsed_s", 0.0),
                     tps = e.value("tokens_per_s", 0.0);
        run.train_step.push_back(step);
        run.train_loss.push_back(loss);
        run.train_elapsed_s.push_back(elapsed);
        window_tokens_per_s.push_back(tps);
      }
      if (kind == "eval") {
        const double step = e.value("step", 0.0), loss = e.value("val_loss", NAN), bpb = e.value("val_bpb", NAN);
        run.eval_step.push_back(step);
        run.val_loss.push_back(loss);
        run.val_bpb.push_back(bpb);
      }
      if (kind == "diag") run.diagnostics.push_back(diag_snapshot_from_event(e));
      if (kind == "final_eval") {
        final_eval_step = e.value("step", -1LL);
        run.whole_split_val_loss = e.value("val_loss", NAN), run.whole_split_val_bpb = e.value("val_bpb", NAN);
        run.whole_split_windows = e.value("windows", 0LL), run.whole_split_tokens = e.value("tokens", 0LL);
      }
    } catch (const nlohmann::json::exception&) {
      if (run.skipped_lines++ == 0) first_bad_line = number;
      continue;
    }
  }
  if (final_eval_step != run.last_step || !run.finished) {  // of an earlier end (the run was extended since)
    run.whole_split_val_loss = run.whole_split_val_bpb = NAN;
    run.whole_split_windows = run.whole_split_tokens = 0;
  }
  if (run.skipped_lines > 0)
    std::cerr << "warning: " << dir << "/metrics.jsonl: line " << first_bad_line << " is not a JSON event; skipped ("
              << run.skipped_lines << (run.skipped_lines == 1 ? " such line)\n" : " such lines)\n");
  // The median over the logging windows, not the mean: one window that waited on something else (a
  // paused process, a neighbour's burst, the first window after a resume loading the model) moves a mean
  // by its whole excess and the median by at most one rank.
  if (!window_tokens_per_s.empty()) {
    std::sort(window_tokens_per_s.begin(), window_tokens_per_s.end());
    const size_t n = window_tokens_per_s.size();
    run.median_tokens_per_s = n % 2 ? window_tokens_per_s[n / 2] : 0.5 * (window_tokens_per_s[n / 2 - 1] + window_tokens_per_s[n / 2]);
  }
  return run;
}

}  // namespace bf
