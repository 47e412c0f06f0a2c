#include "train/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include "core/closest_match.h"
#include "core/error.h"
#include "io/atomic_file.h"

namespace bf {
namespace {

using nlohmann::json;

// One field of the schema: where it lives in the JSON, how to read and write it, and its documentation.
struct Field {
  std::string path;  // "model.block.b_FF"
  std::string type;  // "integer in [1, 64]", "number", "boolean", "string", "one of: a, b"
  std::string doc;
  std::function<void(Config&, const json&)> set;  // validates the value (bf::Error naming path) and assigns
  std::function<json(const Config&)> get;
};

std::string describe_value(const json& v) {
  std::string s = v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

std::string json_type_name(const json& v) {
  if (v.is_string()) return "a string";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  return "null";
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

#define REF(expr) [](Config& c) -> auto& { return c.expr; }

const std::vector<std::pair<std::string, NormKind>> kNormKinds = {
    {"rmsnorm", NormKind::rmsnorm}, {"layernorm", NormKind::layernorm}, {"none", NormKind::none}};
const std::vector<std::pair<std::string, MatrixKind>> kMatrixKinds = {
    {"trained", MatrixKind::trained}, {"identity", MatrixKind::identity}, {"reparam", MatrixKind::reparam}};

std::vector<Field> build_schema() {
  std::vector<Field> f;
  // model (model.preset is read first: it sets every model.block default, which the other keys override)
  std::vector<std::pair<std::string, std::string>> presets;
  for (const auto& p : preset_names()) presets.push_back({p, p});
  f.push_back(choice("model.preset", REF(model.preset), presets,
                     "The block variant (docs/blocks.md, \"The presets\"); its BlockSpec is the starting point for model.block"));
  f.push_back(integer("model.n_layer", REF(model.n_layer), 1, 1024, "Number of blocks"));
  f.push_back(integer("model.d_model", REF(model.d_model), 1, 65536, "Width d"));
  f.push_back(integer("model.n_head", REF(model.n_head), 1, 1024, "Attention heads H (d_k = d / H)"));
  f.push_back(integer("model.vocab_size", REF(model.vocab_size), 2, 1 << 20, "Vocabulary: 256 for byte-level data, the vocab_size of data.dir/tokenizer.json for BPE (at least the data's)"));
  f.push_back(integer("model.max_seq_len", REF(model.max_seq_len), 1, 1 << 16, "Learned positions"));
  f.push_back(integer("model.mlp_ratio", REF(model.mlp_ratio), 1, 64, "MLP hidden width / d"));
  f.push_back(choice("model.activation", REF(model.activation),
                     std::vector<std::pair<std::string, Activation>>{
                         {"relu", Activation::relu}, {"gelu", Activation::gelu}, {"leaky_relu", Activation::leaky_relu}},
                     "MLP nonlinearity"));
  f.push_back(number("model.leaky_slope", REF(model.leaky_slope), 0, 1, "Negative slope of leaky_relu"));
  f.push_back(number("model.init_std", REF(model.init_std), 1e-8, 10, "Std of every N(0, s^2) initialised weight"));
  f.push_back(number("model.norm_eps", REF(model.norm_eps), 0, 1, "eps of RMSNorm (added to rms) and LayerNorm; must be above 0"));
  f.push_back(choice("model.dtype", REF(model.dtype),
                     std::vector<std::pair<std::string, DType>>{{"f32", DType::f32}, {"f64", DType::f64}},
                     "Precision of parameters, activations, optimiser state and checkpoint tensors"));
  f.push_back(boolean("model.block.parallel", REF(model.block.parallel), "Parallel block (Eq. 7) instead of sequential (Eq. 1)"));
  f.push_back(choice("model.block.norm_position", REF(model.block.norm_position),
                     std::vector<std::pair<std::string, NormPosition>>{{"pre", NormPosition::pre},
                                                                      {"post", NormPosition::post},
                                                                      {"post_textbook", NormPosition::post_textbook}},
                     "Sequential blocks: norms before the branches (Eq. 1); post, the authors' Post-LN (norms before "
                     "the skips); or post_textbook, norms after the sums"));
  const std::vector<std::pair<std::string, Gain BlockSpec::*>> gains = {
      {"a_SA", &BlockSpec::a_SA}, {"b_SA", &BlockSpec::b_SA}, {"a_FF", &BlockSpec::a_FF}, {"b_FF", &BlockSpec::b_FF}};
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
  f.push_back(choice("model.block.attention", REF(model.block.attention),
                     std::vector<std::pair<std::string, AttentionKind>>{{"softmax", AttentionKind::softmax},
                                                                       {"shaped", AttentionKind::shaped},
                                                                       {"skipinit", AttentionKind::skipinit}},
                     "softmax A; shaped alpha I + beta A - gamma C (Eq. 5); skipinit alpha I + beta A (Eq. 4)"));
  f.push_back(choice("model.block.value", REF(model.block.value), kMatrixKinds, "W^V of blocks after the first"));
  f.push_back(choice("model.block.first_value", REF(model.block.first_value), kMatrixKinds, "W^V of block 0"));
  f.push_back(choice("model.block.proj", REF(model.block.proj), kMatrixKinds, "W^P of every block"));
  f.push_back(choice("model.block.value_proj_init", REF(model.block.value_proj_init),
                     std::vector<std::pair<std::string, MatrixInit>>{{"normal", MatrixInit::normal},
                                                                    {"orthogonal", MatrixInit::orthogonal}},
                     "Initialisation of trained W^V, W^P"));
  f.push_back(boolean("model.block.zero_init_queries", REF(model.block.zero_init_queries), "W^Q = 0 and b^Q = 0 at init (A = C)"));
  // data
  f.push_back(text("data.dir", REF(data.dir), "Folder with train.bin, val.bin and tokenizer.json (bareformer prepare --out DIR)"));
  f.push_back(integer("data.seq_len", REF(data.seq_len), 1, 1 << 16, "Tokens per training sequence T"));
  f.push_back(integer("data.batch_size", REF(data.batch_size), 1, 1 << 16, "Sequences per step B"));
  // optim
  f.push_back(choice("optim.name", REF(optim.name),
                     std::vector<std::pair<std::string, std::string>>{{"adamw", "adamw"}, {"sgd", "sgd"}}, "Optimiser"));
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
  f.push_back(choice("schedule.decay", REF(schedule.decay),
                     std::vector<std::pair<std::string, std::string>>{{"linear", "linear"}, {"cosine", "cosine"}, {"constant", "constant"}},
                     "Decay after warm-up"));
  f.push_back(number("schedule.min_lr_ratio", REF(schedule.min_lr_ratio), 0, 1, "Floor of the decay, as a fraction of optim.lr"));
  // run
  f.push_back(integer("run.steps", REF(run.steps), 1, 1000000000, "Optimiser steps"));
  f.push_back(integer("run.log_every", REF(run.log_every), 1, 1000000000, "Train-loss log cadence (steps)"));
  f.push_back(integer("run.eval_every", REF(run.eval_every), 0, 1000000000, "Validation cadence (steps; 0: only at the end)"));
  f.push_back(integer("run.eval_batches", REF(run.eval_batches), 1, 1000000, "Batches per validation pass"));
  f.push_back(integer("run.checkpoint_every", REF(run.checkpoint_every), 0, 1000000000, "Checkpoint cadence (0: at each evaluation and the end)"));
  f.push_back(integer("run.seed", REF(run.seed), 0, std::numeric_limits<int64_t>::max(), "Seed of initialisation and batches"));
  f.push_back(choice("run.device", REF(run.device),
                     std::vector<std::pair<std::string, std::string>>{{"cpu", "cpu"}, {"cuda", "cuda"}}, "Where to train"));
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

const std::vector<Field>& schema() {
  static const std::vector<Field> fields = build_schema();
  return fields;
}

bool is_section(const std::string& path) {
  for (const Field& f : schema())
    if (f.path.size() > path.size() && f.path.compare(0, path.size(), path) == 0 && f.path[path.size()] == '.') return true;
  return false;
}

const Field* find_field(const std::string& path) {
  for (const Field& f : schema())
    if (f.path == path) return &f;
  return nullptr;
}

// Valid keys directly under `section` ("" for the top level), for suggestions.
std::vector<std::string> keys_under(const std::string& section) {
  std::vector<std::string> keys;
  const std::string prefix = section.empty() ? "" : section + ".";
  for (const Field& f : schema()) {
    if (f.path.compare(0, prefix.size(), prefix) != 0) continue;
    std::string rest = f.path.substr(prefix.size());
    std::string key = rest.substr(0, rest.find('.'));
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
  }
  return keys;
}

[[noreturn]] void unknown_key(const std::string& source, const std::string& section, const std::string& key) {
  const std::string path = section.empty() ? key : section + "." + key;
  const std::string best = closest_match(key, keys_under(section));
  std::string hint = best.empty() ? "" : " (did you mean \"" + (section.empty() ? best : section + "." + best) + "\"?)";
  fail(source, ": unknown key \"", path, "\"", hint);
}

// Walks the document: every object key must be a section or a field; fields are collected in order.
void collect(const json& node, const std::string& section, const std::string& source,
             std::vector<std::pair<const Field*, const json*>>& out) {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string path = section.empty() ? it.key() : section + "." + it.key();
    if (const Field* field = find_field(path)) {
      out.push_back({field, &it.value()});
    } else if (path == "model.block.post_ln" && it.value().is_boolean()) {
      // Configs and checkpoints written before model.block.norm_position: post_ln = true was the textbook
      // Post-LN (now "post_textbook"), false the pre-norm block.
      static const json textbook = "post_textbook", pre = "pre";
      out.push_back({find_field("model.block.norm_position"), it.value().get<bool>() ? &textbook : &pre});
    } else if (is_section(path)) {
      if (!it.value().is_object()) fail(source, ": ", path, ": expected an object (a section), got ", json_type_name(it.value()));
      collect(it.value(), path, source, out);
    } else {
      unknown_key(source, section, it.key());
    }
  }
}

// Every config JSON text (a file, or a --set value) is read by parse_json_text, which refuses what
// nlohmann::json alone would accept or mishandle:
//  - a repeated key: nlohmann keeps the last of two equal keys, so {"lr": 1, "lr": 2} would silently
//    drop one; the message names the key's full path;
//  - nesting deeper than kMaxJsonDepth: a config needs 3 levels, and later recursive walks over a value
//    (dump, copy, ==) nested ~100,000 deep overflow the stack;
//  - a number that overflows a double (1e999): nlohmann throws json::out_of_range for it, not
//    parse_error, which escaped every handler as an uncaught exception (found by fuzz/config_fuzz).
// The parse callback sees each key and each container as it is read, before the value is built.
constexpr int kMaxJsonDepth = 64;

std::string literal_hint(const std::string& text, size_t byte);

// Returns "" and sets `out`, or returns why `text` is not JSON at all (nlohmann's message: line, column,
// last token read), for the caller to report or not; throws bf::Error, prefixed by `source`, for JSON
// that is refused.
std::string parse_json_text(const std::string& text, const std::string& source, json& out) {
  struct Open {
    bool object;
    std::set<std::string> keys;  // keys read so far (objects)
    std::string key;             // the key whose value is being read (objects)
  };
  std::vector<Open> open;
  auto on_event = [&](int depth, json::parse_event_t event, json& parsed) {
    switch (event) {
      case json::parse_event_t::object_start:
      case json::parse_event_t::array_start:
        if (depth >= kMaxJsonDepth)
          fail(source, ": JSON nested more than ", kMaxJsonDepth, " levels deep (a config has 3: model.block.b_FF)");
        open.push_back({event == json::parse_event_t::object_start, {}, {}});
        break;
      case json::parse_event_t::object_end:
      case json::parse_event_t::array_end:
        if (!open.empty()) open.pop_back();
        break;
      case json::parse_event_t::key:
        if (!open.empty()) {
          const std::string& key = parsed.get_ref<const std::string&>();
          if (!open.back().keys.insert(key).second) {
            std::string where;
            for (size_t i = 0; i + 1 < open.size(); ++i)
              where += open[i].object ? (where.empty() ? "" : ".") + open[i].key : "[]";
            where += (where.empty() ? "" : ".") + key;
            fail(source, ": duplicate key \"", where, "\" (JSON would keep only the last one; remove the other)");
          }
          open.back().key = key;
        }
        break;
      default:
        break;
    }
    return true;
  };
  try {
    out = json::parse(text, on_event);
  } catch (const json::parse_error& e) {
    return e.what() + literal_hint(text, e.byte);
  } catch (const json::out_of_range& e) {  // 406: number overflow parsing '1e999'
    fail(source, ": ", e.what(), "; config numbers must be finite");
  } catch (const json::exception& e) {  // a net: nlohmann documents no other parse exception
    fail(source, ": not valid JSON (", e.what(), ")");
  }
  return "";
}

// --set "PATH=VALUE" for messages, cut short: a --set value may be megabytes long.
std::string quote_override(const std::string& assignment) {
  std::string quoted = assignment;
  if (quoted.size() > 100) {
    size_t cut = 97;
    while (cut > 0 && (static_cast<unsigned char>(quoted[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
    quoted = quoted.substr(0, cut) + "...";
  }
  return "--set \"" + quoted + "\"";
}

// "; JSON has no NaN or Infinity ..." when the parse error at 1-based byte `byte` is inside such a word.
std::string literal_hint(const std::string& text, size_t byte) {
  if (text.empty()) return "";
  size_t end = std::min(byte, text.size());
  size_t begin = end > 0 ? end - 1 : 0;
  auto alpha = [&](size_t i) { return std::isalpha(static_cast<unsigned char>(text[i])) != 0; };
  while (begin > 0 && alpha(begin - 1)) --begin;
  while (end < text.size() && alpha(end)) ++end;
  std::string word = text.substr(begin, end - begin);
  for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (word == "nan" || word == "inf" || word == "infinity")
    return "; JSON has no NaN or Infinity: a config number must be finite";
  return "";
}

}  // namespace

namespace {

// Where the value of a field came from: the --set assignment whose path is the field or a section above
// it (the last such, as the last one wins), else the config file.
std::string source_of(const std::string& field_path, const std::string& file_source,
                      const std::vector<std::string>& overrides) {
  for (auto it = overrides.rbegin(); it != overrides.rend(); ++it) {
    const std::string path = it->substr(0, it->find('='));
    if (field_path == path || field_path.rfind(path + ".", 0) == 0) return quote_override(*it);
  }
  return file_source;
}

Config parse_config_from(const json& doc, const std::string& source, const std::vector<std::string>& overrides) {
  BF_CHECK(doc.is_object(), source, ": the config must be a JSON object with sections model, data, optim, schedule, run");
  std::vector<std::pair<const Field*, const json*>> present;
  collect(doc, "", source, present);

  Config config;
  auto set = [&](const Field* field, const json& value) {
    try {
      field->set(config, value);
    } catch (const Error& e) {
      fail(source_of(field->path, source, overrides), ": ", e.what());
    }
  };
  // The preset first: it sets every model.block default that the explicit keys then override.
  for (const auto& [field, value] : present)
    if (field->path == "model.preset") {
      set(field, *value);
      config.model.block = preset_block_spec(config.model.preset);
    }
  for (const auto& [field, value] : present)
    if (field->path != "model.preset") set(field, *value);
  // Cross-field checks.
  try {
    validate(config.model);
  } catch (const Error& e) {
    fail(source, ": ", e.what());
  }
  BF_CHECK(config.data.seq_len <= config.model.max_seq_len, source, ": data.seq_len = ", config.data.seq_len,
           " exceeds model.max_seq_len = ", config.model.max_seq_len, " (the model has no position beyond it)");
  BF_CHECK(config.schedule.warmup_steps <= config.run.steps, source, ": schedule.warmup_steps = ",
           config.schedule.warmup_steps, " exceeds run.steps = ", config.run.steps);
  BF_CHECK(!config.run.out_dir.empty(), source, ": run.out_dir must not be empty");
  BF_CHECK(!config.data.dir.empty(), source, ": data.dir must not be empty");
  return config;
}

}  // namespace

Config parse_config(const json& doc, const std::string& source) { return parse_config_from(doc, source, {}); }

void apply_override(json& doc, const std::string& assignment) {
  // A --set value that is not UTF-8 would be stored as a JSON string that cannot be written back out
  // (json::dump throws json::type_error on it, which escaped as an uncaught exception when an error
  // message quoted the value, or when the trainer saved the resolved config), so it is refused here.
  // The message shows the assignment with each invalid byte replaced by U+FFFD.
  try {
    (void)json(assignment).dump();
  } catch (const json::type_error&) {
    const std::string shown = json(assignment).dump(-1, ' ', false, json::error_handler_t::replace);
    fail("--set ", shown, ": not valid UTF-8");
  }
  const std::string quoted = quote_override(assignment);
  const size_t eq = assignment.find('=');
  BF_CHECK(eq != std::string::npos && eq > 0, quoted, ": expected PATH=VALUE, e.g. model.block.b_FF=0.2");
  const std::string path = assignment.substr(0, eq), text_value = assignment.substr(eq + 1);
  json value;
  if (!parse_json_text(text_value, quoted, value).empty()) value = text_value;  // not JSON: a bare word (sas_p)
  json* node = &doc;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    BF_CHECK(!key.empty(), quoted, ": empty key in path \"", path, "\"");
    BF_CHECK(node->is_object(), quoted, ": ",
             start == 0 ? std::string("the config is not a JSON object") : path.substr(0, start - 1) + " is not a section");
    if (dot == std::string::npos) {
      (*node)[key] = std::move(value);
      return;
    }
    if (!node->contains(key)) (*node)[key] = json::object();
    node = &(*node)[key];
    start = dot + 1;
  }
}

Config parse_config_text(const std::string& text, const std::string& source) {
  json doc;
  const std::string not_json = parse_json_text(text, source, doc);
  BF_CHECK(not_json.empty(), source, ": not valid JSON (", not_json, ")");
  return parse_config(doc, source);
}

Config load_config(const std::string& path, const std::vector<std::string>& overrides) {
  BF_CHECK(!std::filesystem::is_directory(path), path, ": is a directory, not a config file");
  // A device or FIFO (/dev/zero) would be read without end, or block: refused before it is opened.
  const std::string kind = non_regular_file_kind(path);
  BF_CHECK(kind.empty(), path, ": not a regular file (", kind, "), not a config file");
  std::ifstream in(path, std::ios::binary);
  BF_CHECK(in.good(), path, ": cannot open the config file (", std::strerror(errno), ")");
  std::ostringstream text;
  text << in.rdbuf();
  BF_CHECK(!in.bad(), path, ": cannot read the config file");
  json doc;
  const std::string not_json = parse_json_text(text.str(), path, doc);
  BF_CHECK(not_json.empty(), path, ": not valid JSON (", not_json, ")");
  for (const std::string& o : overrides) apply_override(doc, o);
  return parse_config_from(doc, path, overrides);
}

json to_json(const Config& config) {
  json doc = json::object();
  for (const Field& f : schema()) {
    json* node = &doc;
    std::string path = f.path;
    size_t dot;
    while ((dot = path.find('.')) != std::string::npos) {
      node = &(*node)[path.substr(0, dot)];
      path = path.substr(dot + 1);
    }
    (*node)[path] = f.get(config);
  }
  return doc;
}

std::string config_reference_markdown() {
  const Config defaults;
  std::ostringstream out;
  out << "| key | type | default | meaning |\n|---|---|---|---|\n";
  for (const Field& f : schema()) {
    std::string def = f.get(defaults).dump();
    out << "| `" << f.path << "` | " << f.type << " | `" << def << "` | " << f.doc << " |\n";
  }
  return out.str();
}

}  // namespace bf
