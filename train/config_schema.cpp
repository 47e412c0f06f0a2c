#include "train/config_schema.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.h"

namespace bf {

using nlohmann::json;

namespace {

std::string describe_value(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

[[noreturn]] void wrong(const std::string& path, const std::string& expected, const json& got) {
  fail(path, ": expected ", expected, ", got ", describe_value(got));
}

template <class Ref>
Field integer(std::string path, Ref ref, long long lo, long long hi, std::string doc) {
  std::string type = "integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]";
  return {path, type, doc,
          [=](Config& c, const json& v) {
            if (!v.is_number_integer()) wrong(path, "an integer", v);
            // Compare exactly, in the literal's own signedness. (Comparing as double accepted 2^63 and a
            // little above for run.seed, whose bound 2^63 - 1 rounds up to 2^63 as a double, and the
            // conversion to long long then wrapped the value around.)
            const bool in_range = v.is_number_unsigned()
                                      ? hi >= 0 && v.get<uint64_t>() <= static_cast<uint64_t>(hi) &&
                                            (lo <= 0 || v.get<uint64_t>() >= static_cast<uint64_t>(lo))
                                      : v.get<int64_t>() >= lo && v.get<int64_t>() <= hi;
            if (!in_range) wrong(path, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", v);
            ref(c) = static_cast<std::remove_reference_t<decltype(ref(c))>>(v.get<long long>());
          },
          [=](const Config& c) { return json(ref(const_cast<Config&>(c))); }};
}

template <class Ref>
Field number(std::string path, Ref ref, double lo, double hi, std::string doc) {
  std::ostringstream range;
  range << "number in [" << lo << ", " << hi << "]";
  const std::string type = range.str();
  return {path, type, doc,
          [=](Config& c, const json& v) {
            if (!v.is_number()) wrong(path, "a number", v);
            const double d = v.get<double>();
            if (!std::isfinite(d) || d < lo || d > hi) wrong(path, "a " + type, v);
            ref(c) = d;
          },
          [=](const Config& c) { return json(ref(const_cast<Config&>(c))); }};
}

// A number in [lo, hi): for the moment coefficients, where hi = 1 would stop the average from moving.
template <class Ref>
Field number_below(std::string path, Ref ref, double lo, double hi, std::string doc) {
  std::ostringstream range;
  range << "number in [" << lo << ", " << hi << ")";
  const std::string type = range.str();
  return {path, type, doc,
          [=](Config& c, const json& v) {
            if (!v.is_number()) wrong(path, "a number", v);
            const double d = v.get<double>();
            if (!std::isfinite(d) || d < lo || d >= hi) wrong(path, "a " + type, v);
            ref(c) = d;
          },
          [=](const Config& c) { return json(ref(const_cast<Config&>(c))); }};
}

template <class Ref>
Field boolean(std::string path, Ref ref, std::string doc) {
  return {path, "boolean", doc,
          [=](Config& c, const json& v) {
            if (!v.is_boolean()) wrong(path, "true or false", v);
            ref(c) = v.get<bool>();
          },
          [=](const Config& c) { return json(ref(const_cast<Config&>(c))); }};
}

template <class Ref>
Field text(std::string path, Ref ref, std::string doc) {
  return {path, "string", doc,
          [=](Config& c, const json& v) {
            if (!v.is_string()) wrong(path, "a string", v);
            ref(c) = v.get<std::string>();
          },
          [=](const Config& c) { return json(ref(const_cast<Config&>(c))); }};
}

// A string from a fixed list, stored as an enum (or as the string itself).
template <class Ref, class E>
Field choice(std::string path, Ref ref, std::vector<std::pair<std::string, E>> options, std::string doc) {
  std::string names;
  for (const auto& [name, _] : options) names += (names.empty() ? "" : ", ") + name;
  return {path, "one of: " + names, doc,
          [=](Config& c, const json& v) {
            if (v.is_string())
              for (const auto& [name, value] : options)
                if (name == v.get<std::string>()) {
                  ref(c) = value;
                  return;
                }
            wrong(path, "one of " + names, v);
          },
          [=](const Config& c) {
            for (const auto& [name, value] : options)
              if (ref(const_cast<Config&>(c)) == value) return json(name);
            return json(nullptr);
          }};
}

// An enum's name table (train/config.h) as choice() options.
template <class E, size_t N>
std::vector<std::pair<std::string, E>> options_of(const std::pair<std::string_view, E> (&table)[N]) {
  std::vector<std::pair<std::string, E>> options;
  for (const auto& [name, value] : table) options.push_back({std::string(name), value});
  return options;
}

#define REF(expr) [](Config& c) -> auto& { return c.expr; }

const EnumNames<NormKind>& kNormKinds = enum_names<NormKind>();
const EnumNames<MatrixKind>& kMatrixKinds = enum_names<MatrixKind>();

std::vector<Field> build_schema() {
  std::vector<Field> f;
  // model (model.preset is read first: it sets every model.block default, which the other keys override)
  std::vector<std::pair<std::string, std::string>> presets;
  for (const auto& p : preset_names()) presets.push_back({p, p});
  f.push_back(choice("model.preset", REF(model.preset), presets,
                     "The block variant (docs/blocks.md, \"The presets\"); its block is the starting point for model.block"));
  f.push_back(integer("model.n_layer", REF(model.n_layer), 1, 1024, "Number of blocks"));
  f.push_back(integer("model.d_model", REF(model.d_model), 1, 65536, "Width d"));
  f.push_back(integer("model.n_head", REF(model.n_head), 1, 1024, "Attention heads H (d_k = d / H)"));
  f.push_back(integer("model.vocab_size", REF(model.vocab_size), 2, 1 << 20, "Vocabulary: 256 for byte-level data, the vocab_size of data.dir/tokenizer.json for BPE (at least the data's)"));
  f.push_back(integer("model.max_seq_len", REF(model.max_seq_len), 1, 1 << 16, "Learned positions"));
  f.push_back(integer("model.mlp_ratio", REF(model.mlp_ratio), 1, 64, "MLP hidden width / d"));
  f.push_back(choice("model.activation", REF(model.activation), enum_names<Activation>(), "MLP nonlinearity"));
  f.push_back(number("model.leaky_slope", REF(model.leaky_slope), 0, 1, "Negative slope of leaky_relu"));
  f.push_back(number("model.init_std", REF(model.init_std), 1e-8, 10, "Std of every N(0, s^2) initialised weight"));
  f.push_back(number("model.norm_eps", REF(model.norm_eps), 0, 1, "eps of RMSNorm (added to rms) and LayerNorm; must be above 0"));
  f.push_back(choice("model.dtype", REF(model.dtype),
                     std::vector<std::pair<std::string, DType>>{{"f32", DType::f32}, {"f64", DType::f64}},
                     "Precision of parameters, activations, optimiser state and checkpoint tensors"));
  f.push_back(boolean("model.block.parallel", REF(model.block.parallel), "Parallel block (Eq. 7) instead of sequential (Eq. 1)"));
  f.push_back(choice("model.block.norm_position", REF(model.block.norm_position), enum_names<NormPosition>(),
                     "Sequential blocks: norms before the branches (Eq. 1); post, the authors' Post-LN (norms before "
                     "the skips); or post_textbook, norms after the sums"));
  const std::vector<std::pair<std::string, Gain BlockConfig::*>> gains = {
      {"a_SA", &BlockConfig::a_SA}, {"b_SA", &BlockConfig::b_SA}, {"a_FF", &BlockConfig::a_FF}, {"b_FF", &BlockConfig::b_FF}};
  for (const auto& [name, member] : gains) {
    const auto m = member;
    const std::string role = name == "a_SA"   ? "the attention skip X"
                             : name == "b_SA" ? "the attention branch MHA(Norm(X))"
                             : name == "a_FF" ? "the MLP skip Xh (a_comb, the skip X, in a parallel block)"
                                              : "the MLP branch MLP(Norm(Xh))";
    f.push_back(number("model.block." + name, [m](Config& c) -> double& { return (c.model.block.*m).init; }, -1e3, 1e3,
                       "Initial value of " + name + ", the gain of " + role + "; a fixed 0 removes that term"));
    f.push_back(boolean("model.block." + name + "_trainable", [m](Config& c) -> bool& { return (c.model.block.*m).trainable; },
                        "Whether " + name + " is a trained parameter (never weight-decayed)"));
  }
  f.push_back(choice("model.block.norm1", REF(model.block.norm1), kNormKinds, "Norm before attention (and the shared norm of a parallel block)"));
  f.push_back(choice("model.block.norm2", REF(model.block.norm2), kNormKinds, "Norm before the MLP (sequential blocks)"));
  f.push_back(choice("model.block.first_norm1", REF(model.block.first_norm1), kNormKinds, "norm1 of block 0 (sas_p_nonorm: layernorm)"));
  f.push_back(choice("model.block.attention", REF(model.block.attention), enum_names<AttentionKind>(),
                     "softmax A; shaped alpha I + beta A - gamma C (Eq. 5); skipinit alpha I + beta A (Eq. 4)"));
  f.push_back(choice("model.block.value", REF(model.block.value), kMatrixKinds, "W^V of blocks after the first"));
  f.push_back(choice("model.block.first_value", REF(model.block.first_value), kMatrixKinds, "W^V of block 0"));
  f.push_back(choice("model.block.proj", REF(model.block.proj), kMatrixKinds, "W^P of every block"));
  f.push_back(choice("model.block.value_proj_init", REF(model.block.value_proj_init), enum_names<MatrixInit>(),
                     "Initialisation of trained W^V, W^P"));
  f.push_back(boolean("model.block.zero_init_queries", REF(model.block.zero_init_queries), "W^Q = 0 and b^Q = 0 at init (A = C)"));
  // data
  f.push_back(text("data.dir", REF(data.dir), "Folder with train.bin, val.bin and tokenizer.json (bareformer prepare --out DIR)"));
  f.push_back(integer("data.seq_len", REF(data.seq_len), 1, 1 << 16, "Tokens per training sequence T"));
  f.push_back(integer("data.batch_size", REF(data.batch_size), 1, 1 << 16, "Sequences per step B"));
  // optim
  f.push_back(choice("optim.name", REF(optim.name), options_of(kOptimizerNames), "Optimiser"));
  f.push_back(number("optim.lr", REF(optim.lr), 0, 100, "Peak learning rate"));
  f.push_back(number_below("optim.beta1", REF(optim.beta1), 0, 1, "AdamW beta1"));
  f.push_back(number_below("optim.beta2", REF(optim.beta2), 0, 1, "AdamW beta2"));
  f.push_back(number("optim.eps", REF(optim.eps), 0, 1, "AdamW epsilon"));
  f.push_back(number("optim.weight_decay", REF(optim.weight_decay), 0, 10, "Decoupled weight decay (matrices and embeddings only)"));
  f.push_back(number_below("optim.momentum", REF(optim.momentum), 0, 1, "SGD momentum"));
  f.push_back(number("optim.grad_clip", REF(optim.grad_clip), 0, 1e6, "Clip the global gradient norm to this (0: off)"));
  // schedule
  f.push_back(number("schedule.warmup_fraction", REF(schedule.warmup_fraction), 0, 1, "Linear warm-up length as a fraction of run.steps"));
  f.push_back(integer("schedule.warmup_steps", REF(schedule.warmup_steps), -1, 1000000000, "Warm-up in steps (overrides the fraction when >= 0)"));
  f.push_back(choice("schedule.decay", REF(schedule.decay), options_of(kLrDecayNames), "Decay after warm-up"));
  f.push_back(number("schedule.min_lr_ratio", REF(schedule.min_lr_ratio), 0, 1, "Floor of the decay, as a fraction of optim.lr"));
  // run
  f.push_back(integer("run.steps", REF(run.steps), 1, 1000000000, "Optimiser steps"));
  f.push_back(integer("run.log_every", REF(run.log_every), 1, 1000000000, "Train-loss log cadence (steps)"));
  f.push_back(integer("run.eval_every", REF(run.eval_every), 0, 1000000000, "Validation cadence (steps; 0: only at the end)"));
  f.push_back(integer("run.eval_batches", REF(run.eval_batches), 1, 1000000, "Batches per validation pass"));
  f.push_back(integer("run.checkpoint_every", REF(run.checkpoint_every), 0, 1000000000, "Checkpoint cadence (0: at each evaluation and the end)"));
  f.push_back(integer("run.seed", REF(run.seed), 0, std::numeric_limits<int64_t>::max(), "Seed of initialisation and batches"));
  f.push_back(choice("run.device", REF(run.device),
                     std::vector<std::pair<std::string, Device>>{{std::string(device_name(Device::cpu)), Device::cpu},
                                                                 {std::string(device_name(Device::cuda)), Device::cuda}},
                     "Where to train"));
  f.push_back(integer("run.threads", REF(run.threads), 0, 1024, "CPU threads (0: all cores)"));
  f.push_back(text("run.out_dir", REF(run.out_dir), "Where metrics.jsonl, config.json and checkpoints go"));
  f.push_back(boolean("run.skip_nonfinite_steps", REF(run.skip_nonfinite_steps), "Skip a step whose loss or gradient is not finite instead of stopping"));
  f.push_back(number("run.max_skipped_fraction", REF(run.max_skipped_fraction), 0, 1,
                     "With run.skip_nonfinite_steps: stop with an error (the run diverged) once more than this fraction of run.steps were skipped"));
  f.push_back(integer("run.diag_every", REF(run.diag_every), 0, 1000000000,
                      "Signal-propagation diagnostics cadence in steps, a \"diag\" event in metrics.jsonl (0: off)"));
  return f;
}

#undef REF

}  // namespace

std::string json_type_name(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return "null";
}

const std::vector<Field>& config_schema() {
  static const std::vector<Field> fields = build_schema();
  return fields;
}

bool is_section(const std::string& path) {
  for (const Field& f : config_schema())
    if (f.path.size() > path.size() && f.path.compare(0, path.size(), path) == 0 && f.path[path.size()] == '.') return true;
  return false;
}

const Field* find_field(const std::string& path) {
  for (const Field& f : config_schema())
    if (f.path == path) return &f;
  return nullptr;
}

// Valid keys directly under `section` ("" for the top level), for suggestions.
std::vector<std::string> keys_under(const std::string& section) {
  std::vector<std::string> keys;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const Field& f : config_schema()) {
    if (f.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = f.path.substr(prefix.size());
    std::string key = rest.substr(0, rest.find('.'));
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

}  // namespace bf
