#include "train/memory_estimate.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <limits>

#include "core/dtype.h"
#include "core/error.h"
#include "nn/parameter_table.h"

namespace bf {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// Saturating arithmetic: an estimate past 2^63 bytes is simply "too much".
int64_t mul(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_mul_overflow(a, b, &r) ? kMax : r;
}
int64_t add(int64_t a, int64_t b) {
  int64_t r;
  return __builtin_add_overflow(a, b, &r) ? kMax : r;
}
int64_t mul(std::initializer_list<int64_t> factors) {
  int64_t r = 1;
  for (int64_t f : factors) r = mul(r, f);
  return r;
}

// Activations kept by one block and by the head, in scalars, for a batch of `batch` sequences of `t`.
int64_t block_activations(const ModelConfig& m, int64_t batch, int64_t t) {
  const int64_t tokens = mul(batch, t);
  return add(add(mul({16, tokens, m.d_model}), mul({3, tokens, int64_t{m.mlp_ratio}, m.d_model})),
             mul({3, batch, m.n_head, t, t}));
}
int64_t head_activations(const ModelConfig& m, int64_t batch, int64_t t) { return mul({3, batch, t, m.vocab_size}); }

}  // namespace

int64_t MemoryEstimate::total() const { return add(add(parameters, gradients), add(optimiser, activations)); }

MemoryEstimate estimate_memory(const Config& config, MemoryUse use) {
  const ModelConfig& m = config.model;
  const int64_t kBytesPerScalar = static_cast<int64_t>(dtype_size(m.dtype));  // 4 for f32, 8 for f64 (model.dtype)
  MemoryEstimate e;
  const int64_t count = parameter_count(parameter_table(m));
  e.parameters = count < 0 ? kMax : mul(count, kBytesPerScalar);
  const int64_t batch = config.data.batch_size, t = config.data.seq_len;
  switch (use) {
    case MemoryUse::describe: break;
    case MemoryUse::train:
      e.gradients = e.parameters;
      e.optimiser = mul(e.parameters, config.optim.name == OptimizerKind::adamw ? 2 : 1);
      e.activations = mul(add(mul(block_activations(m, batch, t), m.n_layer), head_activations(m, batch, t)),
                          kBytesPerScalar);
      break;
    case MemoryUse::evaluate:
      e.activations = mul(add(block_activations(m, batch, t), head_activations(m, batch, t)), kBytesPerScalar);
      break;
    case MemoryUse::sample:
      e.activations = mul(add(block_activations(m, 1, m.max_seq_len), head_activations(m, 1, m.max_seq_len)),
                          kBytesPerScalar);
      break;
  }
  return e;
}

std::string human_bytes(int64_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 6) value /= 1024, ++unit;
  char text[48];
  if (unit == 0) std::snprintf(text, sizeof text, "%lld bytes", static_cast<long long>(bytes));
  else std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

MemoryLimit memory_limit() {
  if (const char* env = std::getenv("BAREFORMER_MEMORY_LIMIT"); env != nullptr && *env != '\0') {
    const std::string text = env;
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
    int64_t scale = 1;
    const std::string suffix = text.substr(digits);
    if (suffix == "K" || suffix == "k") scale = int64_t{1} << 10;
    else if (suffix == "M" || suffix == "m") scale = int64_t{1} << 20;
    else if (suffix == "G" || suffix == "g") scale = int64_t{1} << 30;
    else if (suffix == "T" || suffix == "t") scale = int64_t{1} << 40;
    else BF_CHECK(suffix.empty(), "BAREFORMER_MEMORY_LIMIT=", text, ": expected bytes, or a number with a K, M, G or T suffix");
    BF_CHECK(digits > 0 && digits <= 15, "BAREFORMER_MEMORY_LIMIT=", text,
             ": expected bytes, or a number with a K, M, G or T suffix");
    const int64_t bytes = mul(std::stoll(text.substr(0, digits)), scale);
    return {bytes, "the " + human_bytes(bytes) + " allowed by BAREFORMER_MEMORY_LIMIT=" + text};
  }
  const long pages = ::sysconf(_SC_PHYS_PAGES), page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return {kMax, "no known limit"};
  const int64_t bytes = mul(pages, page_size);
  return {bytes, "this machine's " + human_bytes(bytes) + " of physical memory (set BAREFORMER_MEMORY_LIMIT to change the limit)"};
}

void check_memory(const Config& config, MemoryUse use, const std::string& source) {
  const MemoryEstimate e = estimate_memory(config, use);
  const MemoryLimit limit = memory_limit();
  if (e.total() <= limit.bytes) return;
  const char* what = use == MemoryUse::describe ? "describing the model"
                     : use == MemoryUse::train  ? "training"
                     : use == MemoryUse::evaluate ? "evaluation"
                                                  : "sampling";
  std::string parts = "parameters " + human_bytes(e.parameters);
  if (e.gradients > 0) parts += ", gradients " + human_bytes(e.gradients);
  if (e.optimiser > 0) parts += ", optimiser state " + human_bytes(e.optimiser);
  if (e.activations > 0) parts += ", activations " + human_bytes(e.activations);
  fail(source, ": ", what, " needs an estimated ", human_bytes(e.total()), " of memory (", parts, "), more than ",
       limit.description);
}

}  // namespace bf
