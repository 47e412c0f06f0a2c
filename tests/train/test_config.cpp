// Config parsing: every error class names its JSON path and what was expected.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/config.h"

using namespace bf;
using nlohmann::json;

namespace {

std::string error_of(const json& doc) {
  try {
    parse_config(doc, "test.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a preset sets the block; explicit keys override it") {
  Config c = parse_config(json::parse(R"({"model": {"preset": "sas", "block": {"b_FF": 0.2}}})"), "t");
  CHECK(c.model.block.attention == AttentionKind::shaped);
  CHECK(c.model.block.b_FF.init == 0.2);
  CHECK(c.model.block.b_FF.trainable);
  Config d = parse_config(json::parse(R"({"model": {"block": {"attention": "shaped"}, "preset": "vskipinit"}})"), "t");
  CHECK(d.model.block.attention == AttentionKind::shaped);  // key order in the file does not matter
  CHECK(d.model.block.value_proj_init == MatrixInit::orthogonal);
}

TEST_CASE("defaults are the paper's optimiser settings") {
  Config c = parse_config(json::object(), "t");
  CHECK(c.optim.name == bf::OptimizerKind::adamw);
  CHECK(c.optim.lr == 1e-3);
  CHECK(c.optim.beta1 == 0.9);
  CHECK(c.optim.beta2 == 0.999);
  CHECK(c.optim.eps == 1e-8);
  CHECK(c.optim.weight_decay == 0.1);
  CHECK(c.optim.grad_clip == 1.0);
  CHECK(c.schedule.warmup_fraction == 0.05);
  CHECK(c.schedule.decay == bf::LrDecay::linear);
  CHECK(c.data.seq_len == 128);
}

TEST_CASE("unknown keys are rejected with the closest valid key") {
  CHECK(error_of(json::parse(R"({"model": {"n_layers": 4}})")).find("unknown key \"model.n_layers\" (did you mean \"model.n_layer\"?)") != std::string::npos);
  CHECK(error_of(json::parse(R"({"optim": {"learning_rate": 4}})")).find("optim.learning_rate") != std::string::npos);
  CHECK(error_of(json::parse(R"({"modle": {}})")).find("did you mean \"model\"") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"block": {"b_ff": 0.1}}})")).find("did you mean \"model.block.b_FF\"") != std::string::npos);
}

TEST_CASE("wrong types and ranges name the path and the expectation") {
  CHECK(error_of(json::parse(R"({"model": {"block": {"b_FF": "0.1"}}})")) == "test.json: model.block.b_FF: expected a number, got \"0.1\"");
  CHECK(error_of(json::parse(R"({"model": {"n_layer": 2.5}})")).find("model.n_layer: expected an integer, got 2.5") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"n_layer": 0}})")).find("model.n_layer: expected an integer in [1, 1024], got 0") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"n_layer": 1e30}})")).find("model.n_layer") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"n_layer": 99999999999999999999}})")).find("model.n_layer") != std::string::npos);
  CHECK(error_of(json::parse(R"({"optim": {"lr": -1}})")).find("optim.lr") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"preset": "sass"}})")).find("model.preset: expected one of pre_ln") != std::string::npos);
  CHECK(error_of(json::parse(R"({"run": {"skip_nonfinite_steps": 1}})")).find("expected true or false") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": 3})")).find("model: expected an object") != std::string::npos);
  CHECK(error_of(json::parse(R"([1, 2])")).find("must be a JSON object") != std::string::npos);
}

TEST_CASE("cross-field checks") {
  CHECK(error_of(json::parse(R"({"model": {"d_model": 30, "n_head": 4}})")).find("not divisible by model.n_head") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"max_seq_len": 64}, "data": {"seq_len": 128}})")).find("data.seq_len = 128 exceeds model.max_seq_len = 64") != std::string::npos);
  CHECK(error_of(json::parse(R"({"model": {"block": {"b_SA": 0, "b_FF": 0}}})")).find("computes nothing") != std::string::npos);
  CHECK(error_of(json::parse(R"({"run": {"steps": 10}, "schedule": {"warmup_steps": 11}})")).find("warmup_steps") != std::string::npos);
}

TEST_CASE("--set overrides any field, with JSON or bare-word values") {
  json doc = json::parse(R"({"model": {"preset": "pre_ln"}})");
  apply_override(doc, "model.preset=sas_p");
  apply_override(doc, "model.block.b_FF=0.3");
  apply_override(doc, "run.device=cpu");
  apply_override(doc, "optim.grad_clip=0");
  Config c = parse_config(doc, "t");
  CHECK(c.model.preset == "sas_p");
  CHECK(c.model.block.parallel);
  CHECK(c.model.block.b_FF.init == 0.3);
  CHECK(c.optim.grad_clip == 0.0);
  CHECK_THROWS_WITH_AS(apply_override(doc, "no_equals_sign"), doctest::Contains("expected PATH=VALUE"), Error);
  json bad = json::object();
  apply_override(bad, "model.n_head=\"4\"");
  CHECK_THROWS_WITH_AS(parse_config(bad, "t"), doctest::Contains("model.n_head: expected an integer"), Error);
}

TEST_CASE("the resolved config round-trips through JSON") {
  Config c = parse_config(json::parse(R"({"model": {"preset": "sas_p_nonorm", "n_layer": 3}, "run": {"seed": 7}})"), "t");
  Config again = parse_config(to_json(c), "t");
  CHECK(to_json(again) == to_json(c));
  CHECK(again.model.block.first_norm1 == NormKind::layernorm);
  CHECK(again.model.block.norm1 == NormKind::none);
}

TEST_CASE("docs/config.md holds the current table of every field (regenerate with bareformer config-doc)") {
  const std::string table = config_reference_markdown();
  CHECK(table.find("`model.block.b_FF`") != std::string::npos);
  CHECK(table.find("`run.skip_nonfinite_steps`") != std::string::npos);
  std::ifstream in(std::string(BF_SOURCE_DIR) + "/docs/config.md");
  std::stringstream doc;
  doc << in.rdbuf();
  CHECK_MESSAGE(doc.str().find(table) != std::string::npos,
                "docs/config.md is out of date: regenerate its table with `bareformer config-doc`");
}

TEST_CASE("every committed config under configs/ parses") {
  int parsed = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(std::string(BF_SOURCE_DIR) + "/configs")) {
    if (entry.path().extension() != ".json" || entry.path().string().find("/sweeps/") != std::string::npos) continue;
    INFO(entry.path().string());
    CHECK_NOTHROW(load_config(entry.path().string()));
    ++parsed;
  }
  CHECK(parsed >= 24);  // 8 presets x (CPU size, paper size, tiny)
}
