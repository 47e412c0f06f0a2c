// The presets' definitions beyond the oracle fixtures: the two Post-LN forms, the Value-SkipInit forms,
// and which official configuration of the authors' code a model config reproduces.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/ops.h"
#include "autograd/tape.h"
#include "model_fixtures.h"
#include "nn/describe.h"
#include "nn/official.h"

using namespace bf;

namespace {

double max_abs_difference(const Tensor& a, const Tensor& b) {
  std::vector<double> x = a.to_f64_vector(), y = b.to_f64_vector();
  REQUIRE(x.size() == y.size());
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) worst = std::max(worst, std::abs(x[i] - y[i]));
  return worst;
}

// Block `index` of a tiny f64 model of `preset`, with random weights, applied to x and to 10 x.
std::pair<double, double> block_outputs_at_two_scales(const std::string& preset) {
  ModelConfig config = test::tiny_config(preset);
  ParameterSet params;
  Rng rng(4);
  InitContext ctx{params, rng, DType::f64, Device::cpu, config.init_std};
  Block block(ctx, spec_for(config, 1));
  test::randomize_parameters_of(params, 8);
  NoGradGuard no_grad;
  Tensor x = Tensor::randn({2, 5, 8}, rng, 0, 1, DType::f64);
  Tensor y = block.forward(x), y10 = block.forward(scale(x, 10.0));
  return {max_abs_difference(y, y10), max_abs_difference(y, Tensor::zeros(y.shape(), DType::f64))};
}

}  // namespace

TEST_CASE("post_ln normalises the block's input (the authors' form); post_ln_textbook does not") {
  // Official: Xn = Norm1(X) comes first, so the block is blind to the scale of X (up to eps 1e-5).
  auto [official_change, official_size] = block_outputs_at_two_scales("post_ln");
  CHECK(official_size > 0.1);
  CHECK(official_change < 1e-4 * official_size);
  // Textbook: Norm1(X + MHA(X)) mixes the raw X with MHA's output, so 10 X gives another output.
  auto [textbook_change, textbook_size] = block_outputs_at_two_scales("post_ln_textbook");
  CHECK(textbook_size > 0.1);
  CHECK(textbook_change > 1e-2 * textbook_size);
  // Pre-LN passes X through its skip: 10 X changes the output by about 9 X.
  auto [pre_change, pre_size] = block_outputs_at_two_scales("pre_ln");
  CHECK(pre_change > pre_size);
}

TEST_CASE("vskipinit is the authors' run (shaped, W^Q = 0); vskipinit_eq4 the paper's Eq. 4 (beta = 0)") {
  const BlockConfig official = preset_block_config("vskipinit"), eq4 = preset_block_config("vskipinit_eq4");
  CHECK(official.attention == AttentionKind::shaped);
  CHECK(official.zero_init_queries);
  CHECK(eq4.attention == AttentionKind::skipinit);
  CHECK_FALSE(eq4.zero_init_queries);
  for (const BlockConfig& s : {official, eq4}) {
    CHECK(s.value == MatrixKind::trained);
    CHECK(s.first_value == MatrixKind::trained);
    CHECK(s.proj == MatrixKind::trained);
    CHECK(s.value_proj_init == MatrixInit::orthogonal);
  }
  // Otherwise they are the same block: SAS's gains.
  BlockConfig moved = eq4;
  moved.attention = AttentionKind::shaped, moved.zero_init_queries = true;
  CHECK(moved == official);
  const BlockConfig sas = preset_block_config("sas");
  CHECK(official.a_SA == sas.a_SA);
  CHECK(official.b_SA == sas.b_SA);
  CHECK(official.a_FF == sas.a_FF);
  CHECK(official.b_FF == sas.b_FF);

  // At initialisation the official model's queries and query biases are 0; every head's beta is 1.
  Gpt model(test::tiny_config("vskipinit"), 3);
  for (int i = 0; i < 2; ++i) {
    const std::string p = "blocks." + std::to_string(i) + ".attn.";
    CHECK(max_abs_difference(model.parameters().get(p + "q.weight").value, Tensor::zeros({8, 8})) == 0);
    for (double beta : model.parameters().get(p + "beta").value.to_f64_vector()) CHECK(beta == 1.0);
    CHECK(model.parameters().find(p + "gamma") != nullptr);
  }
  Gpt eq4_model(test::tiny_config("vskipinit_eq4"), 3);
  for (double beta : eq4_model.parameters().get("blocks.0.attn.beta").value.to_f64_vector()) CHECK(beta == 0.0);
  CHECK(eq4_model.parameters().find("blocks.0.attn.gamma") == nullptr);
}

TEST_CASE("describe names the official configuration a config reproduces, and says when it is none") {
  for (const OfficialConfiguration& o : official_configurations()) {
    INFO(o.preset);
    const OfficialConfiguration* found = matching_official_configuration(preset_model(o.preset));
    REQUIRE(found != nullptr);
    CHECK(found->preset == o.preset);
    CHECK(official_configuration_line(preset_model(o.preset)).starts_with("official configuration: " + o.preset));
  }
  // Every official preset is listed, and no alternate.
  CHECK(official_configurations().size() + 2 == preset_names().size());
  for (const std::string alternate : {"post_ln_textbook", "vskipinit_eq4"}) {
    CHECK(matching_official_configuration(preset_model(alternate)) == nullptr);
    CHECK(official_configuration_line(preset_model(alternate)) ==
          "not an official configuration (the block is the alternate preset " + alternate +
              "; docs/blocks.md, \"Provenance\")");
  }
  // The resolved block decides, not the preset's name: the Eq. 4 preset moved to shaped attention with zero
  // queries is the authors' Value-SkipInit run; the official one with another b_FF is no configuration.
  ModelConfig moved = preset_model("vskipinit_eq4");
  moved.block.attention = AttentionKind::shaped, moved.block.zero_init_queries = true;
  REQUIRE(matching_official_configuration(moved) != nullptr);
  CHECK(matching_official_configuration(moved)->preset == "vskipinit");
  ModelConfig other = preset_model("sas");
  other.block.b_FF.init = 0.2;
  CHECK(matching_official_configuration(other) == nullptr);
  CHECK(official_configuration_line(other) ==
        "not an official configuration (model.block matches no preset; docs/blocks.md, \"Provenance\")");
  // Model fields the authors' code fixes: a GELU MLP is not their model, even with sas's block.
  ModelConfig gelu = preset_model("sas");
  gelu.activation = Activation::gelu;
  CHECK(matching_official_configuration(gelu) == nullptr);
  CHECK(official_configuration_line(gelu).find("the block is sas's, but") != std::string::npos);
  ModelConfig leaky0 = preset_model("sas");
  leaky0.activation = Activation::leaky_relu, leaky0.leaky_slope = 0;  // the authors' spelling of ReLU
  CHECK(matching_official_configuration(leaky0) != nullptr);
  // describe shows the line and the dtype.
  Gpt model(preset_model("sas"), 1, DType::f64);
  const std::string text = describe_model(model, 16, false);
  CHECK(text.find("dtype f64") != std::string::npos);
  CHECK(text.find("official configuration: sas = the authors' run_clm.py model=skipless") != std::string::npos);
}

TEST_CASE("a parallel block has one norm position: norm_position post is refused with the field named") {
  ModelConfig c = preset_model("parallel");
  c.block.norm_position = NormPosition::post;
  CHECK_THROWS_WITH_AS(validate(c),
                       "model.block.norm_position: \"post\" is for sequential blocks; a parallel block "
                       "(model.block.parallel = true) has its one norm before both branches",
                       Error);
}

TEST_CASE("model.norm_eps must be positive: with eps = 0 an all-zero row is 0/0 in both norms") {
  // Why the check exists: an all-zero row (q = rms = 0, var = 0) gives NaN at eps = 0 and a finite output
  // (exactly 0, the row times a finite scale) at any eps > 0.
  const Tensor zero_row = Tensor::zeros({1, 4}, DType::f64);
  const Tensor w = Tensor::ones({4}, DType::f64), b = Tensor::zeros({4}, DType::f64);
  for (double v : rms_norm(zero_row, w, 0.0).to_f64_vector()) CHECK(std::isnan(v));
  for (double v : layer_norm(zero_row, w, b, 0.0).to_f64_vector()) CHECK(std::isnan(v));
  for (double v : rms_norm(zero_row, w, 1e-5).to_f64_vector()) CHECK(v == 0.0);
  for (double v : layer_norm(zero_row, w, b, 1e-5).to_f64_vector()) CHECK(v == 0.0);

  ModelConfig c = preset_model("pre_ln");
  c.norm_eps = 0;
  CHECK_THROWS_WITH_AS(validate(c),
                       "model.norm_eps: expected a positive number, got 0 (with eps = 0 an all-zero row makes RMSNorm "
                       "and LayerNorm compute 0/0)",
                       Error);
  c.norm_eps = -1e-5;
  CHECK_THROWS_AS(validate(c), Error);
  c.norm_eps = 1e-5;
  CHECK_NOTHROW(validate(c));
}

TEST_CASE("weight decay applies to the parameters the authors' MyTrainer decays, in every preset") {
  // MyTrainer.create_optimizer decays every parameter outside LayerNorm / RMSNorm modules whose name holds
  // neither "bias" nor "gain". In bareformer's names those are the weight matrices (Q, K, V, P, MLP), the
  // reparameterised dW and the embeddings; the code's names for the block gains, the attention matrix's
  // alpha / beta / gamma (attn_mat_skip_gain, attn_mat_resid_gain, centre_attn_gain) and the reparam
  // scalars (resid_gain, skip_gain) all hold "gain".
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    Gpt model(test::tiny_config(preset), 1);
    for (const Parameter& p : model.parameters().all()) {
      INFO(p.name);
      const bool in_norm = p.name.find("norm") != std::string::npos;
      const bool matrix = p.name.ends_with(".weight") || p.name.ends_with(".delta");
      CHECK(weight_decay_applies(p.group) == (matrix && !in_norm));
    }
  }
}
