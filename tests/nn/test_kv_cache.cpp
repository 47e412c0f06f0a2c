// The KV cache (nn/kv_cache.h): a cached forward, fed the sequence in pieces, gives the logits of the
// uncached forward of the whole sequence at every position, for every preset (softmax, shaped and
// skipinit attention; trained, identity and reparameterised values), in f32 to 1e-6 and f64 to 1e-12
// of the logits' largest magnitude.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/tape.h"
#include "model_fixtures.h"
#include "nn/kv_cache.h"

namespace {

using bf::Tensor;

bf::ModelConfig cache_config(const std::string& preset) {
  bf::ModelConfig c = bf::preset_model(preset);
  // Three blocks: block 0's special cases (first_value, first_norm1) and two ordinary ones.
  c.n_layer = 3, c.d_model = 16, c.n_head = 2, c.vocab_size = 23, c.max_seq_len = 12, c.mlp_ratio = 2;
  return c;
}

std::vector<int32_t> random_tokens(int64_t n, int vocab, uint64_t seed) {
  bf::Rng rng(seed);
  std::vector<int32_t> ids(n);
  for (auto& id : ids) id = static_cast<int32_t>(rng.below(vocab));
  return ids;
}

// Logits [B, T, V] of `tokens` [B, T] read in pieces of the given sizes through one cache.
Tensor cached_logits(const bf::Gpt& model, const std::vector<int32_t>& tokens, int64_t batch,
                     const std::vector<int64_t>& pieces) {
  const int64_t t = int64_t(tokens.size()) / batch, vocab = model.config().vocab_size;
  bf::KvCache cache(model.config(), batch, model.dtype(), model.device());
  std::vector<double> all(batch * t * vocab);
  int64_t at = 0;
  for (int64_t n : pieces) {
    std::vector<int32_t> piece;
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = at; i < at + n; ++i) piece.push_back(tokens[b * t + i]);
    const std::vector<double> out = model.forward(Tensor::from_vector(piece, bf::Shape{batch, n}), cache).to_f64_vector();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < n; ++i)
        for (int64_t v = 0; v < vocab; ++v) all[(b * t + at + i) * vocab + v] = out[(b * n + i) * vocab + v];
    at += n;
    CHECK(cache.length() == at);
  }
  REQUIRE(at == t);
  return Tensor::from_vector(all, bf::Shape{batch, t, vocab});
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_f64_vector(), y = b.to_f64_vector();
  REQUIRE(x.size() == y.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::fabs(x[i] - y[i]));
  return worst;
}

// Normwise: max |a - b| / max(1, max |b|). The logits of these random models reach ~5; one f32 ulp there
// is ~5e-7, and a one-row GEMM sums in another order than a twelve-row one, so agreement is stated
// relative to the logits' scale. The full forward computes scale, causal softmax and the shaped mix in one
// fused pass while a cached row uses the separate kernels, so in f32 the two differ by a few ulps per
// block: measured up to 1.5e-6 (vskipinit, sas_p_nonorm, 3 blocks of randomised weights), hence the f32
// bound 2e-6. The f64 bound, 1e-12, is the check that the cached rows are the same arithmetic.
double normwise_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> y = b.to_f64_vector();
  double scale = 1;
  for (double v : y) scale = std::max(scale, std::fabs(v));
  return max_abs_difference(a, b) / scale;
}

}  // namespace

TEST_CASE("kv cache: cached logits equal the full forward at every position, for every preset") {
  bf::NoGradGuard no_grad;
  for (bf::DType dtype : {bf::DType::f32, bf::DType::f64}) {
    const double tolerance = dtype == bf::DType::f32 ? 2e-6 : 1e-12;
    for (const std::string& preset : bf::preset_names()) {
      const bf::ModelConfig config = cache_config(preset);
      bf::Gpt model(config, 7, dtype);
      bf::test::randomize_parameters(model, 11);  // gains, queries and deltas away from their initial values
      const int64_t batch = 2, t = config.max_seq_len;
      const std::vector<int32_t> tokens = random_tokens(batch * t, config.vocab_size, 3);
      const Tensor full = model.forward(Tensor::from_vector(tokens, bf::Shape{batch, t})).to(bf::DType::f64);
      // One position at a time (sampling); a prompt then single tokens; uneven pieces after a prefill.
      for (const std::vector<int64_t>& pieces : std::vector<std::vector<int64_t>>{
               std::vector<int64_t>(size_t(t), 1), {5, 1, 1, 1, 1, 1, 1, 1}, {4, 3, 1, 4}}) {
        INFO("preset ", preset, ", ", bf::dtype_name(dtype), ", ", pieces.size(), " pieces");
        const Tensor cached = cached_logits(model, tokens, batch, pieces);
        CHECK(normwise_difference(cached, full) <= tolerance);
      }
    }
  }
}

TEST_CASE("kv cache: the attention rows of shaped attention need the cache (a different history changes them)") {
  // Guards the test above against passing vacuously: the last position's logits depend on the earlier
  // positions' keys and values through the cache.
  bf::NoGradGuard no_grad;
  const bf::ModelConfig config = cache_config("sas");
  bf::Gpt model(config, 7);
  bf::test::randomize_parameters(model, 11);
  std::vector<int32_t> a = random_tokens(6, config.vocab_size, 1), b = a;
  b[0] = (b[0] + 1) % config.vocab_size;
  const Tensor la = cached_logits(model, a, 1, {5, 1}), lb = cached_logits(model, b, 1, {5, 1});
  CHECK(std::fabs(la.at({0, 5, 0}) - lb.at({0, 5, 0})) > 1e-4);
}

TEST_CASE("kv cache: past model.max_seq_len is an error naming the limit; clear() starts over") {
  bf::NoGradGuard no_grad;
  const bf::ModelConfig config = cache_config("pre_ln");
  bf::Gpt model(config, 7);
  bf::KvCache cache(config, 1);
  const std::vector<int32_t> ten = random_tokens(10, config.vocab_size, 2);
  model.forward(Tensor::from_vector(ten, bf::Shape{1, 10}), cache);
  CHECK_THROWS_WITH_AS(model.forward(Tensor::from_vector(std::vector<int32_t>{1, 2, 3}, bf::Shape{1, 3}), cache),
                       "model: sequence length 13 exceeds model.max_seq_len = 12", bf::Error);
  cache.clear();
  CHECK(cache.length() == 0);
  const Tensor again = model.forward(Tensor::from_vector(ten, bf::Shape{1, 10}), cache);
  const Tensor full = model.forward(Tensor::from_vector(ten, bf::Shape{1, 10}));
  CHECK(max_abs_difference(again, full) <= 1e-6);
}

TEST_CASE("kv cache: only for inference, and only for the model config it was made for") {
  const bf::ModelConfig config = cache_config("pre_ln");
  bf::Gpt model(config, 7);
  bf::KvCache cache(config, 1);
  const Tensor tokens = Tensor::from_vector(std::vector<int32_t>{1, 2}, bf::Shape{1, 2});
  CHECK_THROWS_WITH_AS(model.forward(tokens, cache), "attention: a KV cache is for inference (use a NoGradGuard)",
                       bf::Error);
  bf::NoGradGuard no_grad;
  bf::ModelConfig other = config;
  other.n_layer = 2;
  bf::KvCache wrong(other, 1);
  CHECK_THROWS_WITH_AS(model.forward(tokens, wrong), "model: the KV cache was made for another model config", bf::Error);
  bf::KvCache batch_two(config, 2);
  CHECK_THROWS_AS(model.forward(tokens, batch_two), bf::Error);
}
