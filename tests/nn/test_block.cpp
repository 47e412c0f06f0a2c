// The block family at initialisation and under gradcheck.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/gradcheck.h"
#include "autograd/ops.h"
#include "model_fixtures.h"

using namespace bf;

TEST_CASE("the centring matrix C is softmax(causal mask) exactly: C[i][j] = 1/(i+1) for j <= i") {
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor c = causal_centring_matrix(6, dtype, Device::cpu);
    for (int i = 0; i < 6; ++i)
      for (int j = 0; j < 6; ++j) {
        const double want = j <= i ? (dtype == DType::f32 ? double(1.0f / float(i + 1)) : 1.0 / (i + 1)) : 0.0;
        CHECK(c.at({i, j}) == want);
      }
  }
}

TEST_CASE("shaped attention is the identity map at initialisation (sas, sas_p: W^Q = 0, A' = I)") {
  for (const std::string preset : {"sas", "sas_p", "sas_p_nonorm"}) {
    INFO(preset);
    ModelConfig config = test::tiny_config(preset);
    for (int index : {0, 1}) {  // block 0 has the reparameterised value matrix I + dW, dW = 0
      ParameterSet params;
      Rng rng(3);
      InitContext ctx{params, rng, DType::f32, Device::cpu, config.init_std};
      Attention attn(ctx, "attn", spec_for(config, index).attention);
      Tensor x = Tensor::randn({2, 5, 8}, rng);
      Tensor y = attn.forward(x);
      std::vector<double> a = x.to_f64_vector(), b = y.to_f64_vector();
      double worst = 0;
      for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::abs(a[i] - b[i]));
      CHECK(worst < 1e-6);
    }
  }
}

TEST_CASE("softmax attention with zero queries is not the identity (the identity test can fail)") {
  ModelConfig config = test::tiny_config("pre_ln");
  config.block.zero_init_queries = true;
  ParameterSet params;
  Rng rng(3);
  InitContext ctx{params, rng, DType::f32, Device::cpu, config.init_std};
  AttentionSpec spec = spec_for(config, 0).attention;
  spec.value = MatrixKind::identity;
  Attention attn(ctx, "attn", spec);
  Tensor x = Tensor::randn({1, 5, 8}, rng);
  Tensor y = attn.forward(x);
  // With A = C each position averages over its prefix: position 1 is (x0 + x1)/2, not x1 (then W^P).
  double diff = 0;
  for (int c = 0; c < 8; ++c) diff += std::abs(y.at({0, 1, c}) - x.at({0, 1, c}));
  CHECK(diff > 1e-3);
}

TEST_CASE("gradcheck (f64) of the whole model for every preset, random weights and queries") {
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    ModelConfig config = test::tiny_config(preset);
    config.block.zero_init_queries = false;
    Gpt model(config, 11, DType::f64);
    test::randomize_parameters(model, 5);
    Tensor tokens = test::tokens_from({1, 4, 7, 2, 10, 0, 3, 3, 9, 5}, 2, 5);
    Tensor targets = test::tokens_from({4, 7, 2, 10, 6, 3, 3, 9, 5, 8}, 2, 5);
    std::vector<Tensor> inputs;
    for (const auto& p : model.parameters().all()) inputs.push_back(p.value);
    GradcheckOptions options;
    options.atol = 1e-7;
    options.rtol = 1e-5;
    GradcheckResult r = gradcheck([&](const std::vector<Tensor>&) { return model.loss(tokens, targets); }, inputs, options);
    CHECK_MESSAGE(r.passed, preset << ": " << r.worst);
    CHECK(r.checked_elements == model.parameters().count());
  }
}

TEST_CASE("gradcheck (f64) of each layer: norms, reparameterised matrix, MLP activations, attention kinds") {
  ModelConfig base = test::tiny_config("pre_ln");
  Rng data_rng(9);
  Tensor x = Tensor::randn({2, 4, 8}, data_rng, 0, 1, DType::f64).set_requires_grad(true);
  auto check_layer = [&](const std::string& what, ParameterSet& params, const std::function<Tensor(const Tensor&)>& f) {
    INFO(what);
    std::vector<Tensor> inputs{x};
    for (const auto& p : params.all()) inputs.push_back(p.value);
    GradcheckResult r = gradcheck([&](const std::vector<Tensor>& in) { return f(in[0]); }, inputs);
    CHECK_MESSAGE(r.passed, what << ": " << r.worst);
  };
  for (NormKind kind : {NormKind::rmsnorm, NormKind::layernorm}) {
    ParameterSet params;
    Rng rng(1);
    InitContext ctx{params, rng, DType::f64, Device::cpu, 0.3};
    Norm norm(ctx, "norm", kind, 8, 1e-5);
    check_layer("norm " + to_string(kind), params, [&](const Tensor& in) { return norm.forward(in); });
  }
  {
    ParameterSet params;
    Rng rng(1);
    InitContext ctx{params, rng, DType::f64, Device::cpu, 0.3};
    SquareMatrix m(ctx, "v", MatrixKind::reparam, MatrixInit::normal, 8);
    test::randomize_parameters_of(params, 2);
    check_layer("reparam matrix", params, [&](const Tensor& in) { return m.forward(in); });
  }
  for (Activation act : {Activation::relu, Activation::gelu, Activation::leaky_relu}) {
    ParameterSet params;
    Rng rng(1);
    InitContext ctx{params, rng, DType::f64, Device::cpu, 0.3};
    Mlp mlp(ctx, "mlp", MlpSpec{8, 2, act, 0.2});
    check_layer("mlp " + to_string(act), params, [&](const Tensor& in) { return mlp.forward(in); });
  }
  for (AttentionKind kind : {AttentionKind::softmax, AttentionKind::shaped, AttentionKind::skipinit}) {
    ModelConfig config = base;
    config.block.attention = kind;
    ParameterSet params;
    Rng rng(1);
    InitContext ctx{params, rng, DType::f64, Device::cpu, 0.3};
    AttentionSpec spec = spec_for(config, 0).attention;
    spec.value = MatrixKind::trained;
    Attention attn(ctx, "attn", spec);
    test::randomize_parameters_of(params, 4);
    check_layer("attention " + to_string(kind), params, [&](const Tensor& in) { return attn.forward(in); });
  }
}

TEST_CASE("a fixed gain of 0 removes its branch: skipless records no residual add") {
  ModelConfig config = test::tiny_config("skipless");
  Gpt model(config, 1);
  Tensor tokens = test::tokens_from({1, 2, 3, 4}, 1, 4);
  clear_tape();
  Tensor loss = model.loss(tokens, tokens);
  int block_adds = 0;
  for (const TapeEntry& e : tape_entries())
    if (e.op == "add" && e.scope.starts_with("blocks.")) ++block_adds;
  CHECK(block_adds == 0);
  clear_tape();
  Gpt pre_ln(test::tiny_config("pre_ln"), 1);
  loss = pre_ln.loss(tokens, tokens);
  block_adds = 0;
  for (const TapeEntry& e : tape_entries())
    if (e.op == "add" && e.scope.starts_with("blocks.")) ++block_adds;
  CHECK(block_adds == 2 * config.n_layer);  // two residual sums per Pre-LN block
  clear_tape();
}
