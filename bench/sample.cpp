// bench_sample: the cost of one sampled token at a given context length, with the KV cache (one
// position through the model, attention against the cached keys and values) and without it (a full
// forward of the whole context, as sampling did before the cache). The model is the default CPU size
// (6 layers, d 256, 4 heads, byte vocabulary: 4.8M parameters) with max_seq_len = the longest context
// asked for.
//
// Columns: preset, positions (the context length P the timed tokens are drawn at: the cached runs read
// P - tokens positions first, then time `tokens` single positions up to P; the uncached ones time
// forwards of P - tokens + 1 .. P positions), mode (cached | uncached), ms_per_token (median of the
// timed tokens), tokens_per_s (1000 / ms_per_token), speedup (uncached ms / cached ms, on cached rows).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

#include "autograd/tape.h"
#include "backends/kernels.h"
#include "nn/gpt.h"
#include "nn/kv_cache.h"

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

std::vector<int32_t> random_ids(int64_t n) {
  bf::Rng rng(1);
  std::vector<int32_t> ids(n);
  for (auto& id : ids) id = static_cast<int32_t>(rng.below(256));
  return ids;
}

double time_ms(const std::function<void()>& work) {
  const auto start = Clock::now();
  work();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Milliseconds per token: the median over `tokens` tokens drawn up to context length `positions`.
double cached_ms(const bf::Gpt& model, int64_t positions, int tokens) {
  const std::vector<int32_t> ids = random_ids(positions);
  bf::KvCache cache(model.config(), 1);
  const int64_t prefill = positions - tokens;
  model.forward(bf::Tensor::from_vector(std::vector<int32_t>(ids.begin(), ids.begin() + prefill), bf::Shape{1, prefill}),
                cache);
  std::vector<double> ms;
  for (int64_t p = prefill; p < positions; ++p)
    ms.push_back(time_ms([&] { model.forward(bf::Tensor::from_vector(std::vector<int32_t>{ids[p]}, bf::Shape{1, 1}), cache); }));
  return median(ms);
}

double uncached_ms(const bf::Gpt& model, int64_t positions, int tokens) {
  const std::vector<int32_t> ids = random_ids(positions);
  std::vector<double> ms;
  for (int64_t p = positions - tokens + 1; p <= positions; ++p) {
    const bf::Tensor window = bf::Tensor::from_vector(std::vector<int32_t>(ids.begin(), ids.begin() + p), bf::Shape{1, p});
    ms.push_back(time_ms([&] { model.forward(window); }));
  }
  return median(ms);
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string word; std::getline(in, word, ',');) out.push_back(word);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  bf::prefer_passive_openmp_wait(argv);
  CLI::App app{"bench_sample: ms per sampled token with and without the KV cache"};
  app.option_defaults()->always_capture_default();
  std::string presets = "pre_ln,sas_p";
  std::vector<int64_t> positions = {128, 1024};
  int tokens = 16, threads = 2;
  app.add_option("--preset", presets, "Comma-separated presets");
  app.add_option("--positions", positions, "Context lengths to time a token at (comma-separated)")
      ->delimiter(',')
      ->check(CLI::Range(2, 8192));
  app.add_option("--tokens", tokens, "Tokens timed per row (the median is reported)")->check(CLI::Range(1, 1000));
  app.add_option("--threads", threads, "CPU threads")->check(CLI::Range(1, 256));
  CLI11_PARSE(app, argc, argv);
  for (int64_t p : positions)
    if (p <= tokens) {
      std::fprintf(stderr, "bench_sample: --positions %lld must exceed --tokens %d\n", static_cast<long long>(p), tokens);
      return 2;
    }
  bf::configure_cpu_threads(threads);
  bf::NoGradGuard no_grad;
  std::printf("%-8s %9s %-9s %12s %12s %8s\n", "preset", "positions", "mode", "ms_per_token", "tokens_per_s", "speedup");
  for (const std::string& preset : split(presets)) {
    bf::ModelConfig config = bf::preset_model(preset);
    config.max_seq_len = static_cast<int>(*std::max_element(positions.begin(), positions.end()));
    const bf::Gpt model(config, 1);
    for (int64_t p : positions) {
      const double uncached = uncached_ms(model, p, tokens), cached = cached_ms(model, p, tokens);
      std::printf("%-8s %9lld %-9s %12.3f %12.1f %8s\n", preset.c_str(), static_cast<long long>(p), "uncached",
                  uncached, 1000 / uncached, "");
      std::printf("%-8s %9lld %-9s %12.3f %12.1f %7.1fx\n", preset.c_str(), static_cast<long long>(p), "cached", cached,
                  1000 / cached, uncached / cached);
      std::fflush(stdout);
    }
  }
  return 0;
}
