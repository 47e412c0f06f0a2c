// Each diagnostic against a hand computation on a tiny input, and `diagnose`'s headline claim: at
// initialisation a deep naive skipless model collapses its token representations, SAS does not.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/tape.h"
#include "model_fixtures.h"
#include "nn/diagnostics.h"

using namespace bf;

TEST_CASE("token cosine: identical tokens give 1, orthogonal tokens give 0, a hand-computed mix") {
  Tensor same = Tensor::from_vector<double>({1, 2, 1, 2, 1, 2}, Shape{1, 3, 2});
  CHECK(mean_token_cosine(same) == doctest::Approx(1.0));
  Tensor orthogonal = Tensor::from_vector<double>({1, 0, 0, 1}, Shape{1, 2, 2});
  CHECK(mean_token_cosine(orthogonal) == doctest::Approx(0.0));
  // Three tokens (1,0), (0,1), (1,1): cosines 0, 1/sqrt2, 1/sqrt2 -> mean over ordered pairs = sqrt2/3.
  Tensor mix = Tensor::from_vector<double>({1, 0, 0, 1, 1, 1}, Shape{1, 3, 2});
  CHECK(mean_token_cosine(mix) == doctest::Approx(std::sqrt(2.0) / 3.0));
  // Averaged over the batch: (1 + 0) / 2.
  Tensor batch = Tensor::from_vector<double>({1, 2, 1, 2, 1, 0, 0, 1}, Shape{2, 2, 2});
  CHECK(mean_token_cosine(batch) == doctest::Approx(0.5));
}

TEST_CASE("activation RMS and attention entropy by hand") {
  CHECK(activation_rms(Tensor::from_vector<double>({3, 4}, Shape{2})) == doctest::Approx(std::sqrt(12.5)));
  // One head, T = 2: row 0 = [1, 0] (entropy 0), row 1 = [0.5, 0.5] (entropy ln 2) -> mean ln(2)/2.
  Tensor a = Tensor::from_vector<double>({1, 0, 0.5, 0.5}, Shape{1, 1, 2, 2});
  CHECK(mean_attention_entropy(a) == doctest::Approx(std::log(2.0) / 2));
}

TEST_CASE("diagnostics read gains, reparameterised values and per-block gradient norms") {
  Gpt model(test::tiny_config("sas"), 3, DType::f64);
  Tensor loss = model.loss(test::tokens_from({1, 2, 3, 4}, 1, 4), test::tokens_from({2, 3, 4, 5}, 1, 4));
  const ForwardProbe probe = probe_from_tape(model);
  std::vector<LayerDiagnostics> before = compute_diagnostics(model, probe);
  REQUIRE(before.size() == 3);  // embed + 2 blocks
  CHECK(before[1].grad_norm == -1);
  CHECK(before[1].alpha == std::vector<double>{1.0, 1.0});
  CHECK(before[1].gains.at("b_FF") == doctest::Approx(0.1));
  CHECK(before[1].value_beta_over_alpha == doctest::Approx(1.0));  // block 0: W_V = 1*I + 1*dW
  CHECK(std::isnan(before[2].value_beta_over_alpha));               // identity values
  // At init A = C exactly: row i has entropy ln(i + 1); mean over T = 4 rows.
  CHECK(before[1].attention_entropy == doctest::Approx((std::log(1.0) + std::log(2.0) + std::log(3.0) + std::log(4.0)) / 4));
  backward(loss);
  std::vector<LayerDiagnostics> after = compute_diagnostics(model, probe);
  double by_hand = 0;
  for (const Parameter& p : model.parameters().all())
    if (p.name.rfind("blocks.1.", 0) == 0)
      for (double g : p.value.grad().to_f64_vector()) by_hand += g * g;
  CHECK(after[2].grad_norm == doctest::Approx(std::sqrt(by_hand)));
}

TEST_CASE("diagnose at init: 12-layer skipless collapses token representations, sas keeps them apart") {
  auto diagnose = [](const std::string& preset) {
    ModelConfig c = preset_model(preset);
    c.n_layer = 12, c.d_model = 64, c.n_head = 4, c.max_seq_len = 32;
    Gpt model(c, 0);
    Rng rng(1);
    std::vector<int32_t> ids(4 * 32);
    for (auto& id : ids) id = static_cast<int32_t>(rng.below(256));
    model.forward(Tensor::from_vector(ids, Shape{4, 32}));  // grad mode on: the probe reads the tape
    const std::vector<LayerDiagnostics> layers = compute_diagnostics(model, probe_from_tape(model));
    clear_tape();
    return layers;
  };
  const auto skipless_layers = diagnose("skipless"), sas_layers = diagnose("sas");
  const double skipless = skipless_layers.back().token_cosine, sas = sas_layers.back().token_cosine;
  INFO("skipless " << skipless << ", sas " << sas);
  CHECK(skipless > 0.9);
  CHECK(sas < 0.5);
  CHECK(skipless > sas);
  // The verdict line tells them apart.
  CHECK(collapse_verdict(skipless_layers).rfind("rank collapse:", 0) == 0);
  CHECK(collapse_verdict(sas_layers).rfind("no rank collapse:", 0) == 0);
}
