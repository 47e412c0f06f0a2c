// Each block's spec resolved from the config once (spec_for): the layouts, block 0's special cases, the
// gains each layout has and the one name each gain goes by, and the enum names configs spell.
#include <doctest/doctest.h>

#include "autograd/tape.h"
#include "model_fixtures.h"
#include "nn/diagnostics.h"

using namespace bf;

TEST_CASE("layout_of: model.block.parallel and norm_position pick one of the four layouts") {
  CHECK(layout_of(preset_block_config("pre_ln")) == BlockLayout::sequential);
  CHECK(layout_of(preset_block_config("sas")) == BlockLayout::sequential);
  CHECK(layout_of(preset_block_config("post_ln")) == BlockLayout::post_ln);
  CHECK(layout_of(preset_block_config("post_ln_textbook")) == BlockLayout::post_ln_textbook);
  for (const char* preset : {"parallel", "sas_p", "sas_p_nonorm"}) {
    INFO(preset);
    CHECK(layout_of(preset_block_config(preset)) == BlockLayout::parallel);
    CHECK(std::holds_alternative<ParallelBranches>(spec_for(test::tiny_config(preset), 1).terms));
  }
  CHECK(std::holds_alternative<TwoSubBlocks>(spec_for(test::tiny_config("post_ln"), 1).terms));
  CHECK(std::string(to_string(BlockLayout::post_ln_textbook)) == "post_ln_textbook");
}

TEST_CASE("spec_for: block 0 alone takes first_norm1 and first_value; the other fields are every block's") {
  ModelConfig c = test::tiny_config("sas_p_nonorm");
  c.n_layer = 3;
  const BlockSpec first = spec_for(c, 0), second = spec_for(c, 1), third = spec_for(c, 2);
  CHECK(first.parallel().norm == NormKind::layernorm);
  CHECK(second.parallel().norm == NormKind::none);
  CHECK(first.attention.value == MatrixKind::reparam);
  CHECK(second.attention.value == MatrixKind::identity);
  CHECK(third.attention.value == MatrixKind::identity);
  for (const BlockSpec& s : {first, second, third}) {
    CHECK(s.attention.proj == MatrixKind::identity);
    CHECK(s.attention.kind == AttentionKind::shaped);
    CHECK(s.attention.zero_init_queries);
    CHECK(s.attention.d_model == 8);
    CHECK(s.attention.n_head == 2);
    CHECK(s.mlp.ratio == 4);
  }
  CHECK(first.index == 0);
  CHECK(third.index == 2);
  CHECK(block_name(third.index) == "blocks.2");
  CHECK_THROWS_AS(spec_for(c, 3), Error);
}

TEST_CASE("a parallel block's a_comb is model.block.a_FF; it has no a_SA and no norm2, whatever they are set to") {
  ModelConfig c = test::tiny_config("parallel");
  c.block.a_FF = {0.5, true};
  c.block.a_SA = {0.7, true};  // not a term of a parallel block
  c.block.norm2 = NormKind::layernorm;
  const ParallelBranches p = spec_for(c, 1).parallel();
  CHECK(p.a_comb == Gain{0.5, true});
  CHECK(p.b_SA == c.block.b_SA);
  CHECK(p.b_FF == c.block.b_FF);
  Gpt model(c, 0);
  CHECK(model.parameters().find("blocks.1.gain.a_FF") != nullptr);  // a_comb's parameter, as checkpoints name it
  CHECK(model.parameters().find("blocks.1.gain.a_SA") == nullptr);
  CHECK(model.parameters().find("blocks.1.norm2.weight") == nullptr);
  CHECK(model.blocks()[1].layout() == BlockLayout::parallel);
}

TEST_CASE("each block's gains: named as their parameters, in their registration order, for every preset") {
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    ModelConfig c = test::tiny_config(preset);
    for (Gain* g : {&c.block.a_SA, &c.block.b_SA, &c.block.a_FF, &c.block.b_FF}) g->trainable = true;
    Gpt model(c, 0);
    for (const Block& block : model.blocks()) {
      std::vector<std::string> from_block, from_parameters;
      for (const auto& [name, gain] : block.gains()) {
        REQUIRE(gain->parameter().defined());
        from_block.push_back(block.name() + ".gain." + name);
        CHECK(model.parameters().get(from_block.back()).value.same_as(gain->parameter()));
      }
      for (const Parameter& p : model.parameters().all())
        if (p.name.starts_with(block.name() + ".gain.")) from_parameters.push_back(p.name);
      CHECK(from_block == from_parameters);
      CHECK(from_block.size() == (block.layout() == BlockLayout::parallel ? 3u : 4u));
    }
  }
}

TEST_CASE("diagnostics report each trainable gain through the block, a_comb under its key a_FF") {
  ModelConfig c = test::tiny_config("sas_p");
  c.block.a_FF = {0.25, true};
  Gpt model(c, 0, DType::f64);
  (void)model.loss(test::tokens_from({1, 2, 3, 4}, 1, 4), test::tokens_from({2, 3, 4, 5}, 1, 4));
  const std::vector<LayerDiagnostics> layers = compute_diagnostics(model, probe_from_tape(model));
  bf::clear_tape();
  REQUIRE(layers.size() == 3);
  const std::map<std::string, double> want = {{"a_FF", 0.25}, {"b_FF", 0.1}, {"b_SA", 1.0}};
  CHECK(layers[1].gains == want);
  CHECK(layers[2].gains == want);
}

TEST_CASE("Gain::absent: only a fixed 0 removes a branch") {
  CHECK(Gain{0.0, false}.absent());
  CHECK_FALSE(Gain{0.0, true}.absent());
  CHECK_FALSE(Gain{0.1, false}.absent());
}

TEST_CASE("enum names: one table per enum, read by to_string") {
  auto round_trip = [](const auto& names) {
    for (const auto& [name, value] : names) CHECK(to_string(value) == name);
  };
  round_trip(enum_names<AttentionKind>());
  round_trip(enum_names<MatrixKind>());
  round_trip(enum_names<MatrixInit>());
  round_trip(enum_names<NormKind>());
  round_trip(enum_names<Activation>());
  round_trip(enum_names<NormPosition>());
  CHECK(enum_names<NormPosition>().size() == 3);
  CHECK(to_string(NormKind::layernorm) == "layernorm");
  CHECK(to_string(NormPosition::post_textbook) == "post_textbook");
}
