// The per-preset configs of configs/, configs/tiny/ and configs/paper/ are generated: each folder's
// pre_ln.json is the base, and every other preset's file is that text with the preset and the run folder
// replaced (scripts/gen_configs.py writes them). This suite re-derives each file here, for every preset
// the program knows, so a file edited by hand, a base changed without regenerating, or a new preset
// without its files fails the suite.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "nn/spec.h"
#include "scratch.h"
#include "train/config.h"

namespace {

const std::string kBasePreset = "pre_ln";

// Replaces the one occurrence of `from` in `text`; fails the test (naming `where`) unless there is one.
std::string replace_once(const std::string& text, const std::string& from, const std::string& to,
                         const std::string& where) {
  const size_t at = text.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, where, " does not contain ", from);
  REQUIRE_MESSAGE(text.find(from, at + 1) == std::string::npos, where, " contains ", from, " more than once");
  return text.substr(0, at) + to + text.substr(at + from.size());
}

// The base's out_dir, which must end with the base preset's name; what comes before it is the folder's
// prefix ("runs/", "runs/tiny_", "runs/paper_").
std::string out_dir_of(const std::string& base_text, const std::string& where) {
  const std::string marker = "\"out_dir\": \"";
  const size_t start = base_text.find(marker);
  REQUIRE_MESSAGE(start != std::string::npos, where, " has no run.out_dir");
  const size_t value = start + marker.size();
  return base_text.substr(value, base_text.find('"', value) - value);
}

std::string generated(const std::string& base_text, const std::string& where, const std::string& preset) {
  const std::string out_dir = out_dir_of(base_text, where);
  REQUIRE_MESSAGE(out_dir.size() > kBasePreset.size(), where, ": run.out_dir \"", out_dir, "\" is too short");
  REQUIRE_MESSAGE(out_dir.ends_with(kBasePreset), where, ": run.out_dir \"", out_dir, "\" must end with ",
                  kBasePreset);
  const std::string prefix = out_dir.substr(0, out_dir.size() - kBasePreset.size());
  const std::string text = replace_once(base_text, "\"preset\": \"" + kBasePreset + "\"",
                                        "\"preset\": \"" + preset + "\"", where);
  return replace_once(text, "\"out_dir\": \"" + out_dir + "\"", "\"out_dir\": \"" + prefix + preset + "\"", where);
}

}  // namespace

TEST_CASE("each preset's config in configs/, configs/tiny/, configs/paper/ is its folder's base, two values replaced") {
  int checked = 0;
  for (const std::string folder : {"configs", "configs/tiny", "configs/paper"}) {
    const std::filesystem::path dir = std::filesystem::path(BF_SOURCE_DIR) / folder;
    const std::string base_name = folder + "/" + kBasePreset + ".json";
    const std::string base_text = bf::test::read_bytes(dir / (kBasePreset + ".json"));
    const bf::Config base = bf::load_config((dir / (kBasePreset + ".json")).string());
    CHECK(base.model.preset == kBasePreset);
    for (const std::string& preset : bf::preset_names()) {
      const std::filesystem::path path = dir / (preset + ".json");
      const std::string name = folder + "/" + preset + ".json";
      INFO(name);
      REQUIRE_MESSAGE(std::filesystem::exists(path), name,
                      " is missing: add the preset to scripts/gen_configs.py's PRESETS and run it");
      CHECK_MESSAGE(bf::test::read_bytes(path) == generated(base_text, base_name, preset), name,
                    " is not what ", base_name, " gives: edit the base, not the generated file, and run "
                    "python3 scripts/gen_configs.py");
      // Resolved, the file is the base run with `--set model.preset=P --set run.out_dir=...`: what a
      // sweep variant over the base would run.
      const bf::Config config = bf::load_config(path.string());
      CHECK(config.model.preset == preset);
      const std::string prefix = base.run.out_dir.substr(0, base.run.out_dir.size() - kBasePreset.size());
      const bf::Config overridden = bf::load_config(
          (dir / (kBasePreset + ".json")).string(), {"model.preset=" + preset, "run.out_dir=" + prefix + preset});
      CHECK(bf::to_json(config) == bf::to_json(overridden));
      ++checked;
    }
  }
  CHECK(checked == 3 * static_cast<int>(bf::preset_names().size()));
}
