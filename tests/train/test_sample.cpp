// Sampling (train/sample.h): the choice of the next token (temperature, top-k, top-p) on hand-made
// logits, and whole generations: cached equals uncached for every preset, streaming, the position limit
// and the sliding window.
#include <doctest/doctest.h>

#include <cmath>
#include <map>

#include "train/sample.h"

namespace {

// logits = log p, so softmax(logits / 1) = p exactly (up to rounding).
std::vector<double> log_probs(const std::vector<double>& p) {
  std::vector<double> out;
  for (double v : p) out.push_back(std::log(v));
  return out;
}

std::map<int32_t, int> draw_counts(const std::vector<double>& logits, const bf::SampleOptions& options, int draws) {
  bf::Rng rng(options.seed);
  std::map<int32_t, int> counts;
  for (int i = 0; i < draws; ++i) ++counts[bf::choose_token(logits, options, rng)];
  return counts;
}

bf::ModelConfig small_model(const std::string& preset) {
  bf::ModelConfig c = bf::preset_model(preset);
  c.n_layer = 2, c.d_model = 16, c.n_head = 2, c.vocab_size = 256, c.max_seq_len = 16, c.mlp_ratio = 2;
  return c;
}

}  // namespace

TEST_CASE("sample: top-p keeps the fewest most likely tokens whose probability reaches p") {
  const std::vector<double> logits = log_probs({0.05, 0.5, 0.15, 0.3});  // ranks: 1, 3, 2, 0
  bf::SampleOptions options;
  options.seed = 5;
  // p = 0.7: 0.5 < 0.7 <= 0.5 + 0.3, so tokens 1 and 3, drawn 0.5 : 0.3 (0.625 : 0.375).
  options.top_p = 0.7;
  std::map<int32_t, int> counts = draw_counts(logits, options, 4000);
  CHECK(counts.size() == 2);
  CHECK(counts[1] + counts[3] == 4000);
  CHECK(std::fabs(counts[1] / 4000.0 - 0.625) < 0.03);  // binomial sd 0.0077
  // p = 0.5 is reached by the top token alone (>=): always token 1.
  options.top_p = 0.5;
  counts = draw_counts(logits, options, 200);
  CHECK(counts.size() == 1);
  CHECK(counts[1] == 200);
  // p = 0.81: tokens 1, 3 and 2 (0.8 < 0.81 <= 0.95).
  options.top_p = 0.81;
  counts = draw_counts(logits, options, 4000);
  CHECK(counts.size() == 3);
  CHECK(counts.count(0) == 0);
  // p = 1: everything, in proportion; top-k = 2 then top-p = 0.9 of the two: 1 and 3 (0.5 / 0.8 < 0.9).
  options.top_p = 1;
  CHECK(draw_counts(logits, options, 4000).size() == 4);
  options.top_k = 2, options.top_p = 0.9;
  counts = draw_counts(logits, options, 4000);
  CHECK(counts.size() == 2);
  CHECK(counts[1] + counts[3] == 4000);
  // Temperature 0 is the argmax whatever the rest.
  options.temperature = 0;
  CHECK(draw_counts(logits, options, 10) == std::map<int32_t, int>{{1, 10}});
}

TEST_CASE("sample: cached and uncached sampling draw the same tokens, for every preset") {
  for (const std::string& preset : bf::preset_names()) {
    INFO("preset ", preset);
    bf::Gpt model(small_model(preset), 3);
    bf::SampleOptions options;
    options.tokens = 14, options.seed = 9, options.top_p = 0.95;
    const std::vector<int32_t> prompt = {10, 100, 101};
    options.use_cache = true;
    const bf::SampleResult cached = bf::sample_tokens(model, prompt, options);
    options.use_cache = false;
    const bf::SampleResult uncached = bf::sample_tokens(model, prompt, options);
    CHECK(cached.tokens.size() == 14);
    CHECK(cached.tokens == uncached.tokens);
  }
}

TEST_CASE("sample: tokens stream as drawn; the position limit stops, or the sliding window continues") {
  bf::Gpt model(small_model("sas"), 3);
  bf::SampleOptions options;
  options.tokens = 40, options.seed = 2;
  std::vector<int32_t> streamed;
  // 3 prompt tokens + 14 generated = 17 = max_seq_len + 1 (the last drawn is never read back).
  const bf::SampleResult stopped = bf::sample_tokens(model, {1, 2, 3}, options, [&](int32_t id) { streamed.push_back(id); });
  CHECK(stopped.stopped_at_limit);
  CHECK(stopped.tokens.size() == 14);
  CHECK(streamed == stopped.tokens);

  options.sliding_window = true;
  const bf::SampleResult slid = bf::sample_tokens(model, {1, 2, 3}, options);
  CHECK_FALSE(slid.stopped_at_limit);
  CHECK(slid.tokens.size() == 40);
  // Before the window first slides, it is the same generation.
  CHECK(std::vector<int32_t>(slid.tokens.begin(), slid.tokens.begin() + 14) == stopped.tokens);
  options.use_cache = false;
  CHECK(bf::sample_tokens(model, {1, 2, 3}, options).tokens == slid.tokens);

  // A prompt longer than the model's positions: an error, or its last max_seq_len / 2 tokens.
  const std::vector<int32_t> long_prompt(20, 65);
  options.sliding_window = false;
  CHECK_THROWS_WITH_AS(bf::sample_tokens(model, long_prompt, options),
                       "sample: the prompt has 20 tokens, more than the model's 16 positions (model.max_seq_len); "
                       "shorten it, or pass --sliding-window to keep its last 8",
                       bf::Error);
  options.sliding_window = true;
  CHECK(bf::sample_tokens(model, long_prompt, options).tokens.size() == 40);
}

TEST_CASE("sample: an empty text prompt starts from one newline byte") {
  CHECK(bf::prompt_tokens("") == std::vector<int32_t>{10});
  CHECK(bf::prompt_tokens("a\xff") == std::vector<int32_t>{97, 255});
  bf::Gpt model(small_model("pre_ln"), 3);
  bf::SampleOptions options;
  options.tokens = 5;
  CHECK(bf::sample_text(model, "", options) == bf::sample_text(model, "\n", options));
  CHECK(bf::sample_text(model, "", options).size() == 5);
}
