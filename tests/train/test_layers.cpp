// The layering (docs/design.md, "The layers, and what each may not know"): a file includes headers of its
// own layer and of the layers it stands on, never of one above. The static libraries stop most upward
// calls at link time; this test stops the include itself, in every source file of every layer.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>

namespace {

namespace fs = std::filesystem;

// Each layer and what it may include (itself included).
const std::map<std::string, std::set<std::string>>& allowed_includes() {
  static const std::map<std::string, std::set<std::string>> allowed = {
      {"core", {"core"}},
      {"backends", {"core", "backends"}},
      {"autograd", {"core", "backends", "autograd"}},
      {"nn", {"core", "backends", "autograd", "nn"}},
      {"io", {"core", "io"}},
      {"text", {"core", "io", "text"}},
      {"train", {"core", "backends", "autograd", "nn", "io", "text", "train"}},
      {"experiments", {"core", "backends", "autograd", "nn", "io", "text", "train", "experiments"}},
      {"cli", {"core", "backends", "autograd", "nn", "io", "text", "train", "experiments", "cli"}},
  };
  return allowed;
}

// The folder of a line `#include "folder/file.h"` (spaces allowed around '#' and after "include"), or ""
// for any other line. (A scan rather than std::regex: GCC 12's -O2 sanitizer build warns inside <regex>,
// and the warnings are errors.)
std::string included_folder(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '#') return "";
  i = line.find_first_not_of(" \t", i + 1);
  if (i == std::string::npos || line.compare(i, 7, "include") != 0) return "";
  i = line.find_first_not_of(" \t", i + 7);
  if (i == std::string::npos || line[i] != '"') return "";
  const size_t slash = line.find('/', i + 1), close = line.find('"', i + 1);
  if (slash == std::string::npos || close == std::string::npos || slash > close || slash == i + 1) return "";
  const std::string folder = line.substr(i + 1, slash - i - 1);
  for (char c : folder)
    if (!(c == '_' || (c >= 'a' && c <= 'z'))) return "";
  return folder;
}

}  // namespace

TEST_CASE("layers: no file includes a header of a layer above its own") {
  const fs::path root = BF_SOURCE_DIR;
  int files = 0;
  for (const auto& [layer, allowed] : allowed_includes()) {
    REQUIRE(fs::is_directory(root / layer));
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(root / layer)) {
      const std::string ext = entry.path().extension().string();
      if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh")) continue;
      ++files;
      std::ifstream in(entry.path());
      std::string line;
      for (int number = 1; std::getline(in, line); ++number) {
        const std::string target = included_folder(line);
        if (target.empty()) continue;
        if (!allowed_includes().count(target)) continue;  // not a layer (a generated or third-party path)
        INFO(fs::relative(entry.path(), root).string(), ":", number, ": ", line);
        CHECK_MESSAGE(allowed.count(target) == 1, layer, " may not include ", target, "/");
      }
    }
  }
  CHECK(files > 100);  // the walk found the sources
}
