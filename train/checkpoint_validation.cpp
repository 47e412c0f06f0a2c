#include "train/checkpoint_validation.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "nn/parameter_table.h"

namespace bf {
namespace {

// "1 2 3", cut short for a message (a hostile file's metadata may be megabytes long).
std::string quoted(const std::string& text) {
  return "\"" + (text.size() > 80 ? text.substr(0, 77) + "..." : text) + "\"";
}

// Decimal digits only, fitting in uint64; false otherwise.
bool parse_u64(const std::string& text, uint64_t& out) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return false;
    if (__builtin_mul_overflow(value, uint64_t{10}, &value) ||
        __builtin_add_overflow(value, static_cast<uint64_t>(ch - '0'), &value))
      return false;
  }
  out = value;
  return true;
}

Shape to_shape(const std::vector<int64_t>& dims) {
  Shape s;
  for (int64_t d : dims) s.push_back(d);
  return s;
}

}  // namespace

int64_t parse_checkpoint_step(const std::string& text, const std::string& path) {
  uint64_t value = 0;
  BF_CHECK(parse_u64(text, value) && value <= static_cast<uint64_t>(INT64_MAX), path, ": metadata \"step\" is ",
           quoted(text), ", expected a non-negative integer");
  return static_cast<int64_t>(value);
}

Rng::State parse_sampler_state(const std::string& text, const std::string& path) {
  Rng::State state{};
  size_t begin = 0, words = 0;
  bool ok = true;
  while (ok) {
    const size_t space = text.find(' ', begin);
    const std::string word = text.substr(begin, space == std::string::npos ? std::string::npos : space - begin);
    if (words < state.size()) ok = parse_u64(word, state[words]);
    ++words;
    if (space == std::string::npos) break;
    begin = space + 1;
  }
  BF_CHECK(ok && words == state.size(), path, ": metadata \"sampler_state\" is ", quoted(text),
           ", expected 4 unsigned 64-bit integers");
  BF_CHECK(state[0] != 0 || state[1] != 0 || state[2] != 0 || state[3] != 0, path,
           ": metadata \"sampler_state\" is all zeros, which no generator reaches");
  return state;
}

void check_tensor_table(const SafetensorsContents& contents, const Config& config, const std::string& path) {
  std::map<std::string, const Tensor*> by_name;
  for (const NamedTensor& t : contents.tensors) by_name[t.name] = &t.tensor;
  const std::vector<ParameterShape> table = parameter_table(config.model);
  std::map<std::string, Shape> optimiser_state;  // name -> shape, what config.optim keeps
  const bool adam = config.optim.name == OptimizerKind::adamw;
  for (const ParameterShape& p : table) {
    const Shape want = to_shape(p.shape);
    auto it = by_name.find(p.name);
    BF_CHECK(it != by_name.end(), path, ": parameter \"", p.name, "\" is missing (the checkpoint's config is of preset \"",
             config.model.preset, "\")");
    BF_CHECK(it->second->shape() == want, path, ": parameter \"", p.name, "\" has shape ", it->second->shape(),
             ", the model needs ", want);
    BF_CHECK(it->second->dtype() != DType::i32, path, ": parameter \"", p.name, "\" is stored as i32");
    if (adam) {
      optimiser_state["optim.exp_avg." + p.name] = want;
      optimiser_state["optim.exp_avg_sq." + p.name] = want;
    } else {
      optimiser_state["optim.momentum." + p.name] = want;
    }
  }
  for (const NamedTensor& t : contents.tensors) {
    if (t.name.rfind("optim.", 0) != 0) continue;
    auto it = optimiser_state.find(t.name);
    BF_CHECK(it != optimiser_state.end(), path, ": tensor \"", t.name, "\" is not optimiser state of this run (optim.name ",
             name_of(config.optim.name), " keeps ", adam ? "optim.exp_avg.* and optim.exp_avg_sq.*" : "optim.momentum.*",
             " of each parameter)");
    BF_CHECK(t.tensor.shape() == it->second, path, ": optimiser state \"", t.name, "\" has shape ", t.tensor.shape(),
             ", the model needs ", it->second);
    BF_CHECK(t.tensor.dtype() != DType::i32, path, ": optimiser state \"", t.name, "\" is stored as i32");
  }
}

void check_finite_parameters(const SafetensorsContents& contents, const std::string& path) {
  for (const NamedTensor& t : contents.tensors) {
    if (t.name.rfind("optim.", 0) == 0 || t.tensor.dtype() == DType::i32) continue;
    const int64_t n = t.tensor.numel();
    auto report = [&](double value, int64_t i) {
      fail(path, ": parameter \"", t.name, "\" holds ", std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf",
           " (element ", i, "); the run diverged, so nothing it computes is meaningful");
    };
    if (t.tensor.dtype() == DType::f32) {
      const float* p = t.tensor.data<float>();
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) report(p[i], i);
    } else {
      const double* p = t.tensor.data<double>();
      for (int64_t i = 0; i < n; ++i)
        if (!std::isfinite(p[i])) report(p[i], i);
    }
  }
}

std::string token_file_fingerprint(const TokenFile& file) {
  uint64_t h = 0xcbf29ce484222325ULL;
  std::vector<int32_t> chunk(1 << 16);
  for (int64_t start = 0; start < file.size(); start += static_cast<int64_t>(chunk.size())) {
    const int64_t count = std::min<int64_t>(static_cast<int64_t>(chunk.size()), file.size() - start);
    file.copy_tokens(start, count, chunk.data());
    for (int64_t i = 0; i < count; ++i)
      for (int byte = 0; byte < file.bytes_per_token(); ++byte) {
        h ^= static_cast<uint64_t>((chunk[static_cast<size_t>(i)] >> (8 * byte)) & 0xff);
        h *= 0x100000001b3ULL;
      }
  }
  char text[64];
  std::snprintf(text, sizeof text, "%" PRId64 " tokens, FNV-1a %016" PRIx64, file.size(), h);
  return text;
}

}  // namespace bf
