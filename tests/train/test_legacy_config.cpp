// Configs and checkpoints written before the presets followed the authors' code still read as the
// blocks they were trained with: a checkpoint's config lists every model.block field, resolved.
#include <doctest/doctest.h>

#include "nn/official.h"
#include "train/config.h"

using namespace bf;

TEST_CASE("an earlier config's model.block.post_ln reads as norm_position (true: the textbook Post-LN)") {
  const Config textbook = parse_config_text(R"({"model": {"preset": "post_ln", "block": {"post_ln": true}}})", "old.json");
  CHECK(textbook.model.block.norm_position == NormPosition::post_textbook);
  CHECK(textbook.model.block == preset_block_config("post_ln_textbook"));
  CHECK(official_configuration_line(textbook.model).find("alternate preset post_ln_textbook") != std::string::npos);
  const Config pre = parse_config_text(R"({"model": {"preset": "pre_ln", "block": {"post_ln": false}}})", "old.json");
  CHECK(pre.model.block == preset_block_config("pre_ln"));
  // Written out again, the config uses the new key only.
  const nlohmann::json again = to_json(textbook);
  CHECK(again["model"]["block"]["norm_position"] == "post_textbook");
  CHECK_FALSE(again["model"]["block"].contains("post_ln"));
  CHECK(again["model"]["dtype"] == "f32");
  // Not a boolean: the ordinary unknown-key error.
  CHECK_THROWS_WITH_AS(parse_config_text(R"({"model": {"block": {"post_ln": 1}}})", "old.json"),
                       doctest::Contains("unknown key \"model.block.post_ln\""), Error);
}

TEST_CASE("an earlier vskipinit checkpoint's resolved block (skipinit, random queries) is vskipinit_eq4") {
  Config old;
  old.model = preset_model("vskipinit_eq4");
  old.model.preset = "vskipinit";  // the name it was saved under
  const Config read = parse_config_text(to_json(old).dump(), "old checkpoint");
  CHECK(read.model.preset == "vskipinit");
  CHECK(read.model.block == preset_block_config("vskipinit_eq4"));
  CHECK(read.model.block.attention == AttentionKind::skipinit);
}
