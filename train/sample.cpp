#include "train/sample.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/tape.h"
#include "nn/kv_cache.h"

namespace bf {

int32_t choose_token(const std::vector<double>& logits, const SampleOptions& options, Rng& rng) {
  const int vocab = static_cast<int>(logits.size());
  BF_CHECK(vocab > 0, "sample: no logits to choose from");
  if (options.temperature == 0)
    return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
  std::vector<int> order(vocab);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[a] > logits[b]; });
  // p_i proportional to exp((l_i - l_max) / T), over the top-k.
  const int top_k = options.top_k > 0 ? std::min(options.top_k, vocab) : vocab;
  std::vector<double> p(top_k);
  double total = 0;
  for (int i = 0; i < top_k; ++i) total += (p[i] = std::exp((logits[order[i]] - logits[order[0]]) / options.temperature));
  // The nucleus: the shortest prefix (in decreasing p) whose share of the mass reaches top_p.
  int keep = top_k;
  if (options.top_p < 1) {
    double mass = 0;
    for (int i = 0; i < top_k; ++i) {
      mass += p[i];
      if (mass >= options.top_p * total) {
        keep = i + 1;
        break;
      }
    }
    total = std::accumulate(p.begin(), p.begin() + keep, 0.0);
  }
  double u = rng.uniform() * total;
  for (int i = 0; i < keep; ++i) {
    if (u < p[i]) return order[i];
    u -= p[i];
  }
  return order[keep - 1];  // u landed on the total itself (rounding)
}

namespace {

std::vector<double> last_row(const Tensor& logits) {
  const Tensor host = logits.to(Device::cpu);
  const int64_t t = host.size(1), vocab = host.size(2);
  const std::vector<double> all = host.to_f64_vector();
  return std::vector<double>(all.begin() + (t - 1) * vocab, all.end());
}

}  // namespace

SampleResult sample_tokens(const Gpt& model, const std::vector<int32_t>& prompt, const SampleOptions& options,
                           const std::function<void(int32_t)>& on_token) {
  BF_CHECK(!prompt.empty(), "sample: the prompt is empty (give at least one token)");
  BF_CHECK(options.temperature >= 0, "sample: --temperature must be >= 0, got ", options.temperature);
  BF_CHECK(options.top_k >= 0, "sample: --top-k must be >= 0, got ", options.top_k);
  BF_CHECK(options.top_p > 0 && options.top_p <= 1, "sample: --top-p must be in (0, 1], got ", options.top_p);
  const int vocab = model.config().vocab_size;
  const int64_t limit = model.config().max_seq_len, restart = std::max<int64_t>(1, limit / 2);
  for (int32_t t : prompt) BF_CHECK(t >= 0 && t < vocab, "sample: prompt token ", t, " is outside the vocabulary of ", vocab);
  BF_CHECK(options.sliding_window || int64_t(prompt.size()) <= limit, "sample: the prompt has ", prompt.size(),
           " tokens, more than the model's ", limit, " positions (model.max_seq_len); shorten it, or pass "
           "--sliding-window to keep its last ", restart);
  NoGradGuard no_grad;
  Rng rng(options.seed);
  KvCache cache(model.config(), 1, model.dtype(), model.device());
  std::vector<int32_t> context = prompt;
  // The model reads context[start ..] at positions 0 ..; `fed` of those are in the cache.
  int64_t start = 0, fed = 0;
  if (int64_t(context.size()) > limit) start = int64_t(context.size()) - restart;
  SampleResult result;
  for (int n = 0; n < options.tokens; ++n) {
    if (int64_t(context.size()) - start > limit) {
      if (!options.sliding_window) {
        result.stopped_at_limit = true;
        break;
      }
      start = int64_t(context.size()) - restart, fed = 0;
      cache.clear();
    }
    Tensor logits;
    if (options.use_cache) {
      std::vector<int32_t> unread(context.begin() + start + fed, context.end());
      logits = model.forward(Tensor::from_vector(unread, Shape{1, int64_t(unread.size())}, model.device()), cache);
      fed = int64_t(context.size()) - start;
    } else {
      std::vector<int32_t> window(context.begin() + start, context.end());
      logits = model.forward(Tensor::from_vector(window, Shape{1, int64_t(window.size())}, model.device()));
    }
    const int32_t next = choose_token(last_row(logits), options, rng);
    context.push_back(next);
    result.tokens.push_back(next);
    if (on_token) on_token(next);
  }
  return result;
}

std::vector<int32_t> prompt_tokens(const std::string& prompt) {
  if (prompt.empty()) return {int32_t('\n')};
  std::vector<int32_t> ids;
  for (char c : prompt) ids.push_back(static_cast<unsigned char>(c));
  return ids;
}

std::string sample_text(const Gpt& model, const std::string& prompt, const SampleOptions& options) {
  std::string text;
  for (int32_t id : sample_tokens(model, prompt_tokens(prompt), options).tokens) text.push_back(static_cast<char>(id));
  return text;
}

}  // namespace bf
