// Replays, in the normal suite, every seed (fuzz/corpus/<target>/) and every input that broke a reader
// (fuzz/regressions/<target>/) through the fuzz targets' own bodies (fuzz/fuzz_targets.h), so a fixed
// bug stays fixed without clang or a fuzzing run. Each input must be accepted or rejected with a
// bf::Error, never crash (ASan+UBSan in CI) or throw anything else. A file NAME.expect beside an input
// holds a phrase the error message must contain ("ok": the input must be accepted).
//
// Inputs too big to commit (deep nesting, ~400 KB) are generated here instead.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "fuzz/fuzz_targets.h"

namespace fs = std::filesystem;

namespace {

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `target` on one input: returns the bf::Error message ("" when accepted) or fails the test case
// for any other exception.
template <class Target>
std::string replay(Target&& target, const std::string& what) {
  try {
    return target();
  } catch (const bf::Error& e) {
    FAIL_CHECK(what, ": a bf::Error escaped the target itself: ", e.what());
  } catch (const std::exception& e) {
    FAIL_CHECK(what, ": ", e.what());
  }
  return "";
}

// Every input file of fuzz/<kind>/<target>/ (not the .expect files), sorted.
std::vector<fs::path> inputs(const std::string& kind, const std::string& target) {
  std::vector<fs::path> files;
  const fs::path dir = fs::path(BF_SOURCE_DIR) / "fuzz" / kind / target;
  if (!fs::exists(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() != ".expect") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

struct Scratch {
  std::string path = (fs::temp_directory_path() / ("bf_fuzz_replay_" + std::to_string(::getpid()) + ".json")).string();
  ~Scratch() { std::remove(path.c_str()); }
};

std::string run_target(const std::string& target, const std::string& bytes, const std::string& scratch) {
  if (target == "config_fuzz") return bf::fuzz::config_input(bytes, scratch);
  if (target == "safetensors_fuzz") return bf::fuzz::safetensors_input(bytes);
  return bf::fuzz::token_file_input(bytes);
}

const std::vector<std::string> kTargets = {"config_fuzz", "safetensors_fuzz", "token_file_fuzz"};

}  // namespace

TEST_CASE("fuzz regressions: every input a fuzzer found is rejected cleanly, with the expected message") {
  Scratch scratch;
  int replayed = 0;
  for (const std::string& target : kTargets) {
    for (const fs::path& file : inputs("regressions", target)) {
      const std::string what = target + "/" + file.filename().string();
      INFO(what);
      const std::string message = replay([&] { return run_target(target, read_bytes(file), scratch.path); }, what);
      ++replayed;
      const fs::path expect_file = file.string() + ".expect";
      if (!fs::exists(expect_file)) continue;
      std::string expected = read_bytes(expect_file);
      while (!expected.empty() && expected.back() == '\n') expected.pop_back();
      INFO("message: ", message);
      if (expected == "ok") CHECK(message.empty());
      else CHECK(message.find(expected) != std::string::npos);
    }
  }
  CHECK(replayed >= 10);
}

TEST_CASE("fuzz regressions: every seed of the fuzz corpora keeps the contract") {
  Scratch scratch;
  int replayed = 0, accepted = 0;
  for (const std::string& target : kTargets) {
    for (const fs::path& file : inputs("corpus", target)) {
      const std::string what = target + "/" + file.filename().string();
      INFO(what);
      accepted += replay([&] { return run_target(target, read_bytes(file), scratch.path); }, what).empty();
      ++replayed;
    }
  }
  CHECK(replayed >= 30);
  CHECK(accepted >= 8);  // the corpora hold valid files as well as broken ones
}

TEST_CASE("fuzz regressions: JSON nested 200,000 deep is refused, not a stack overflow") {
  // nlohmann parses any depth without recursion, but dumping such a value (for an error message)
  // recursed once per level: both readers crashed on a file of ~400 KB before the depth limit.
  const size_t depth = 200000;
  const std::string deep = std::string(depth, '[') + std::string(depth, ']');
  Scratch scratch;
  CHECK(replay([&] { return bf::fuzz::config_input(R"({"model": {"n_layer": )" + deep + "}}", scratch.path); },
               "config")
            .find("JSON nested more than 64 levels deep") != std::string::npos);
  const std::string set_input = std::string("{}") + '\0' + "model.n_layer=" + deep;  // {} then --set
  const std::string set_message = replay([&] { return bf::fuzz::config_input(set_input, scratch.path); }, "--set");
  CHECK(set_message.find("--set \"model.n_layer=[[[") == 0);
  CHECK(set_message.find("JSON nested more than 64 levels deep") != std::string::npos);
  for (const std::string& header : {R"({"__metadata__":{"k":)" + deep + "}}",
                                    R"({"a":{"dtype":)" + deep + R"(,"shape":[1],"data_offsets":[0,4]}})"}) {
    std::string file;
    for (int i = 0; i < 8; ++i) file.push_back(static_cast<char>((uint64_t{header.size()} >> (8 * i)) & 0xff));
    file += header + std::string(4, '\0');
    CHECK(replay([&] { return bf::fuzz::safetensors_input(file); }, "safetensors")
              .find("header nests JSON more than 64 levels deep") != std::string::npos);
  }
}
