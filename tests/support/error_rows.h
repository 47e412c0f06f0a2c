// The rows of docs/errors.md that are run through the CLI: each a `bareformer` command, its exit status and
// its exact last line, checked against the program and against the page (tests/train/test_errors.cpp,
// tests/train/test_errors_hardening.cpp). Paths under the test's scratch folder appear as DIR.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "child_process.h"
#include "io/token_file.h"

namespace bf::test {

inline std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

// One row: `bareformer ARGS` (DIR = the scratch folder) must exit with `status` and print `message` as
// its last line (CLI11's parse errors add "Run with --help for more information." after it).
struct Row {
  std::vector<std::string> args;
  std::string message;
  int status = 1;
};

inline const std::string& errors_page() {
  static const std::string page = read_bytes(std::string(BF_SOURCE_DIR) + "/docs/errors.md");
  return page;
}

inline void check_rows(const ScratchDir& dir, const std::vector<Row>& rows) {
  const std::string DIR = dir.path.string();
  for (const Row& row : rows) {
    std::vector<std::string> args;
    std::string command = "bareformer";
    for (const std::string& a : row.args) {
      args.push_back(replace_all(a, "DIR", DIR));
      command += " " + a;
    }
    INFO(command);
    const ChildResult r = run_bareformer(args, dir / "output.txt");
    const std::string output = replace_all(r.output, DIR, "DIR");
    INFO("output: ", output);
    CHECK(r.status == row.status);
    // The message is the last line (a run that fails part way logs its steps first), but for CLI11's
    // closing "Run with --help for more information.".
    std::string text = output;
    const std::string help = "Run with --help for more information.\n";
    if (text.size() >= help.size() && text.compare(text.size() - help.size(), help.size(), help) == 0)
      text.resize(text.size() - help.size());
    while (!text.empty() && text.back() == '\n') text.pop_back();
    const std::string message = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
    CHECK(message == row.message);
    CHECK_MESSAGE(errors_page().find("`" + row.message + "`") != std::string::npos,
                  "docs/errors.md does not show this message: update its row");
  }
}

// A small safetensors file from a header and data section.
inline std::string safetensors_file(const std::string& header, const std::string& data = "") {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((uint64_t{header.size()} >> (8 * i)) & 0xff));
  return out + header + data;
}



}  // namespace bf::test
