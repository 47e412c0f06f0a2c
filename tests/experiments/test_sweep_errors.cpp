// What a user sees when a sweep file or a sweep's run folders are wrong: the `bareformer` binary as a
// child process, its exit status and last line, which docs/errors.md must show verbatim ("Sweeps").
#include <doctest/doctest.h>

#include <filesystem>

#include "child_process.h"
#include "io/token_file.h"

namespace fs = std::filesystem;
using bf::test::ScratchDir;

namespace {

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

// `bareformer args` (DIR = the scratch folder) exits 1 with `message` as its last line, shown in docs/errors.md.
void check_message(const ScratchDir& dir, const std::vector<std::string>& args, const std::string& message) {
  std::vector<std::string> real;
  for (const auto& a : args) real.push_back(replace_all(a, "DIR", dir.path.string()));
  const bf::test::ChildResult r = bf::test::run_bareformer(real, dir / "output.txt");
  std::string text = replace_all(r.output, dir.path.string(), "DIR");
  while (!text.empty() && text.back() == '\n') text.pop_back();
  const std::string last = text.substr(text.rfind('\n') == std::string::npos ? 0 : text.rfind('\n') + 1);
  INFO(text);
  CHECK(r.status == 1);
  CHECK(last == message);
  static const std::string page = bf::test::read_bytes(std::string(BF_SOURCE_DIR) + "/docs/errors.md");
  CHECK_MESSAGE(page.find("`" + message + "`") != std::string::npos, "docs/errors.md does not show this message");
}

}  // namespace

TEST_CASE("errors: sweeps (bareformer sweep SWEEP.json)") {
  ScratchDir dir("sweep_errors");
  bf::test::write_tiny_corpus(dir);
  bf::test::write_bytes(dir / "base.json", R"({"model": {"preset": "pre_ln", "n_layer": 1, "d_model": 16, "n_head": 2, "max_seq_len": 16},
      "data": {"dir": ")" + dir / "data" + R"(", "seq_len": 16, "batch_size": 2},
      "run": {"steps": 2, "eval_every": 0, "eval_batches": 1, "threads": 1}})");
  auto sweep = [&](const std::string& name, const std::string& body) {
    bf::test::write_bytes(dir / name, R"({"name": "t", "base": "base.json", "out_dir": ")" + dir / "out" + R"(", )" + body + "}");
  };
  sweep("ok.json", R"("seeds": [0], "variants": [{"name": "a"}])");
  REQUIRE(bf::test::run_bareformer({"sweep", dir / "ok.json"}, dir / "log.txt").status == 0);
  sweep("changed.json", R"("seeds": [0], "variants": [{"name": "a", "set": ["optim.lr=0.002"]}])");
  sweep("duplicate.json", R"("seeds": [0], "variants": [{"name": "a"}, {"name": "a", "set": ["optim.lr=0.002"]}])");
  sweep("seeds.json", R"("seeds": [0, 0], "variants": [{"name": "a"}])");
  check_message(dir, {"sweep", "DIR/changed.json"},
                "bareformer: error: sweep t: variant \"a\" seed 0 (DIR/out/a/seed0) was trained with another config: optim.lr "
                "(run: 0.001, now: 0.002); delete the folder to retrain it, or set the sweep back");
  check_message(dir, {"sweep", "DIR/duplicate.json"},
                "bareformer: error: DIR/duplicate.json: two variants are named \"a\" (each variant has its own run folders: rename one)");
  check_message(dir, {"sweep", "DIR/seeds.json"}, "bareformer: error: DIR/seeds.json: seeds: seed 0 is listed twice");
  check_message(dir, {"sweep", "DIR/ok.json", "--runs", "DIR/published"},
                "bareformer: error: sweep --runs DIR/published: only with --report-only (a sweep trains into its out_dir)");
}
