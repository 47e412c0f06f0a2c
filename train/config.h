// One experiment as typed data, read from a JSON file with sections model / data / optim / schedule / run.
// Every field is declared once in the schema (build_schema in train/config_schema.cpp) with its type, range,
// default and documentation; parsing (train/config.cpp, through the strict reader io/json_text.h),
// validation (train/config_checks.cpp for the checks across fields), `--set` overrides
// (train/config_override.cpp), the resolved config written to out_dir and docs/config.md all come from
// that one list. Fields with a fixed set of names are enums, parsed once here and compared as enums.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/device.h"
#include "nn/spec.h"

namespace bf {

enum class OptimizerKind { adamw, sgd };
enum class LrDecay { linear, cosine, constant };

// The one name <-> value table of each (optim.name, schedule.decay); run.device's is core's device_name.
inline constexpr std::pair<std::string_view, OptimizerKind> kOptimizerNames[] = {{"adamw", OptimizerKind::adamw},
                                                                                 {"sgd", OptimizerKind::sgd}};
inline constexpr std::pair<std::string_view, LrDecay> kLrDecayNames[] = {
    {"linear", LrDecay::linear}, {"cosine", LrDecay::cosine}, {"constant", LrDecay::constant}};

template <class E, size_t N>
constexpr std::string_view name_in(const std::pair<std::string_view, E> (&table)[N], E value) {
  for (const auto& [name, v] : table)
    if (v == value) return name;
  return "?";
}
constexpr std::string_view name_of(OptimizerKind kind) { return name_in(kOptimizerNames, kind); }
constexpr std::string_view name_of(LrDecay decay) { return name_in(kLrDecayNames, decay); }

struct DataConfig {
  std::string dir = "data/python";  // train.bin, val.bin, tokenizer.json (`bareformer prepare --out DIR`)
  int seq_len = 128;
  int batch_size = 16;
};

struct OptimConfig {
  OptimizerKind name = OptimizerKind::adamw;
  double lr = 1e-3;            // peak learning rate
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double weight_decay = 0.1;   // decoupled; matrices and embeddings only
  double momentum = 0.9;       // sgd only
  double grad_clip = 1.0;      // max global gradient norm; 0 = no clipping
};

struct ScheduleConfig {
  double warmup_fraction = 0.05;  // of run.steps, used when warmup_steps < 0
  int warmup_steps = -1;
  LrDecay decay = LrDecay::linear;
  double min_lr_ratio = 0.0;      // floor, as a fraction of the peak
};

struct RunConfig {
  int steps = 1000;
  int log_every = 10;
  int eval_every = 100;
  int eval_batches = 16;
  int checkpoint_every = 0;  // 0: at every evaluation and at the end
  uint64_t seed = 0;
  Device device = Device::cpu;
  int threads = 0;           // 0: all cores
  std::string out_dir = "runs/default";
  bool skip_nonfinite_steps = false;
  double max_skipped_fraction = 0.1;  // of run.steps; more skips stop the run (it diverged)
  int diag_every = 0;        // 0: no diagnostics (nn/diagnostics.h)
};

struct Config {
  ModelConfig model;
  DataConfig data;
  OptimConfig optim;
  ScheduleConfig schedule;
  RunConfig run;
};

// Parses and validates a JSON document. `source` names it in messages ("configs/sas.json").
// Unknown keys are rejected with the closest valid key suggested; wrong types and out-of-range values
// name their JSON path and what was expected; cross-field checks run last.
Config parse_config(const nlohmann::json& doc, const std::string& source);
// Parses config JSON text with the same strict reading as a config file (duplicate keys, nesting depth,
// non-finite numbers refused); `source` prefixes every message. Checkpoint metadata goes through here.
Config parse_config_text(const std::string& text, const std::string& source);
Config load_config(const std::string& path, const std::vector<std::string>& overrides = {});

// `--set model.block.b_FF=0.2`: the value is read as JSON when it parses as JSON, else as a string.
void apply_override(nlohmann::json& doc, const std::string& assignment);

nlohmann::json to_json(const Config& config);  // every field, resolved (what runs)
std::string config_reference_markdown();       // the table of docs/config.md

}  // namespace bf
