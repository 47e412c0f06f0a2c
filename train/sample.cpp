#include "train/sample.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "autograd/tape.h"

namespace bf {

std::vector<int32_t> sample_tokens(const Gpt& model, const std::vector<int32_t>& prompt, const SampleOptions& options) {
  BF_CHECK(!prompt.empty(), "sample: the prompt is empty (give at least one token)");
  BF_CHECK(options.temperature >= 0, "sample: --temperature must be >= 0, got ", options.temperature);
  BF_CHECK(options.top_k >= 0, "sample: --top-k must be >= 0, got ", options.top_k);
  const int vocab = model.config().vocab_size;
  for (int32_t t : prompt) BF_CHECK(t >= 0 && t < vocab, "sample: prompt token ", t, " is outside the vocabulary of ", vocab);
  NoGradGuard no_grad;
  Rng rng(options.seed);
  std::vector<int32_t> context = prompt, generated;
  for (int n = 0; n < options.tokens; ++n) {
    const int64_t t = std::min<int64_t>(int64_t(context.size()), model.config().max_seq_len);
    std::vector<int32_t> window(context.end() - t, context.end());
    Tensor logits = model.forward(Tensor::from_vector(window, Shape{1, t}, model.device())).to(Device::cpu);
    std::vector<double> last(vocab);
    for (int v = 0; v < vocab; ++v) last[v] = logits.at({0, t - 1, v});
    int32_t next;
    if (options.temperature == 0) {
      next = static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin());
    } else {
      // Keep the top-k logits, softmax(logits / temperature), then draw by inverse CDF.
      std::vector<int> order(vocab);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return last[a] > last[b]; });
      const int keep = options.top_k > 0 ? std::min(options.top_k, vocab) : vocab;
      std::vector<double> p(keep);
      double total = 0;
      for (int i = 0; i < keep; ++i) total += (p[i] = std::exp((last[order[i]] - last[order[0]]) / options.temperature));
      double u = rng.uniform() * total;
      next = order[keep - 1];
      for (int i = 0; i < keep; ++i) {
        if (u < p[i]) {
          next = order[i];
          break;
        }
        u -= p[i];
      }
    }
    context.push_back(next);
    generated.push_back(next);
  }
  return generated;
}

std::string sample_text(const Gpt& model, const std::string& prompt, const SampleOptions& options) {
  std::vector<int32_t> ids(prompt.begin(), prompt.end());
  for (int32_t& id : ids) id = static_cast<unsigned char>(id);
  std::vector<int32_t> out = sample_tokens(model, ids, options);
  std::string text;
  for (int32_t id : out) text.push_back(static_cast<char>(id));
  return text;
}

}  // namespace bf
