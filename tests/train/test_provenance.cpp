// Provenance (train/provenance.h): --version, the start event's fields, checkpoint metadata; and the
// everyday output of prepare (summary, long path lists) and eval (tokens scored, perplexity).
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <cctype>
#include <cstdio>
#include <sstream>

#include <nlohmann/json.hpp>

#include "backends/kernels.h"
#include "child_process.h"
#include "io/atomic_file.h"
#include "text/corpus.h"
#include "train/provenance.h"
#include "io/safetensors.h"
#include "io/token_file.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using bf::test::ScratchDir;
using bf::test::write_bytes;

namespace {

// stem + i, built by appending (GCC 12 warns falsely, -Wrestrict, on "literal" + std::to_string(i)).
std::string numbered(const std::string& stem, int i) {
  std::string name = stem;
  name += std::to_string(i);
  return name;
}

// (Hand-written matchers: std::regex trips GCC 12's -Wmaybe-uninitialized in the sanitizer build.)
bool is_hash(const std::string& text) {
  if (text.size() != 40) return false;
  for (char c : text)
    if (!std::isxdigit(static_cast<unsigned char>(c)) || std::isupper(static_cast<unsigned char>(c))) return false;
  return true;
}

bool is_commit(const std::string& commit) {
  if (commit == "unknown") return true;
  const std::string dirty = "+dirty";
  if (commit.size() == 40 + dirty.size() && commit.ends_with(dirty)) return is_hash(commit.substr(0, 40));
  return is_hash(commit);
}

// "YYYY-MM-DDTHH:MM:SSZ"
bool is_utc_timestamp(const std::string& text) {
  const std::string shape = "dddd-dd-ddTdd:dd:ddZ";
  if (text.size() != shape.size()) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(text[i])) : text[i] != shape[i]) return false;
  return true;
}

}  // namespace

TEST_CASE("provenance: shell quoting, UTC timestamps, the version line") {
  CHECK(bf::shell_quote("configs/sas.json") == "configs/sas.json");
  CHECK(bf::shell_quote("run.steps=20") == "run.steps=20");
  CHECK(bf::shell_quote("a b") == "'a b'");
  CHECK(bf::shell_quote("it's") == "'it'\\''s'");
  CHECK(bf::shell_quote("") == "''");
  CHECK(bf::shell_quote("$HOME") == "'$HOME'");
  CHECK(bf::utc_iso8601(std::chrono::system_clock::from_time_t(0)) == "1970-01-01T00:00:00Z");
  CHECK(bf::utc_iso8601(std::chrono::system_clock::from_time_t(1700000000)) == "2023-11-14T22:13:20Z");
  CHECK(is_commit(bf::build_commit()));
  CHECK(bf::version_line() == std::string("bareformer ") + bf::build_version() + " (commit " + bf::build_commit() + ")");
  const char* argv[] = {"bareformer", "train", "c.json", "--set", "run.out_dir=runs/a b"};
  bf::record_command_line(5, argv);
  CHECK(bf::command_line() == "bareformer train c.json --set 'run.out_dir=runs/a b'");
  bf::record_command_line(0, argv);
}

TEST_CASE("provenance: --version; the start event and the checkpoint say what made them") {
  ScratchDir dir("provenance");
  bf::test::make_tiny_run_files(dir);
  const bf::test::ChildResult version = bf::test::run_bareformer({"--version"}, dir / "version.txt");
  CHECK(version.status == 0);
  // "bareformer VERSION (commit C)\n". The binary is compared with itself (its --version, its start event,
  // its checkpoint): a test binary relinked at another commit than the bareformer binary would differ.
  const std::string prefix = std::string("bareformer ") + bf::build_version() + " (commit ";
  REQUIRE(version.output.starts_with(prefix));
  REQUIRE(version.output.ends_with(")\n"));
  const std::string commit = version.output.substr(prefix.size(), version.output.size() - prefix.size() - 2);
  CHECK(is_commit(commit));
  REQUIRE(bf::test::run_bareformer({"train", dir / "tiny.json", "--set", "run.log_every=1"}, dir / "train.log").status == 0);
  std::istringstream lines(bf::read_whole_file(dir / "run/metrics.jsonl"));
  std::string first;
  std::getline(lines, first);
  const nlohmann::json start = nlohmann::json::parse(first);
  CHECK(start["event"] == "start");
  CHECK(start["version"] == bf::build_version());
  CHECK(start["commit"] == commit);
  CHECK(start["command"] == std::string(BF_BAREFORMER_BIN) + " train " + dir / "tiny.json" + " --set run.log_every=1");
  CHECK(start["host"] == bf::host_name());
  CHECK(is_utc_timestamp(start["started_utc"].get<std::string>()));
  CHECK(start["threads"] == 1);  // run.threads
  CHECK(start["gemm"] == std::string(bf::gemm_provider_name()));  // e.g. "onednn 2.6.3"
  CHECK((start["gemm"].get<std::string>().rfind("onednn", 0) == 0 || start["gemm"].get<std::string>().rfind("openblas", 0) == 0));
  const bf::SafetensorsContents checkpoint = bf::load_safetensors(dir / "run/checkpoint.safetensors");
  CHECK(checkpoint.metadata.at("bareformer_version") == bf::build_version());
  CHECK(checkpoint.metadata.at("bareformer_commit") == commit);

  SUBCASE("eval states the tokens scored and the perplexity; --all scores every window") {
    const bf::test::ChildResult some = bf::test::run_bareformer({"eval", dir / "run/checkpoint.safetensors"}, dir / "e1.txt");
    const bf::test::ChildResult all =
        bf::test::run_bareformer({"eval", dir / "run/checkpoint.safetensors", "--all"}, dir / "e2.txt");
    REQUIRE(some.status == 0);
    REQUIRE(all.status == 0);
    // 200 validation tokens, windows of 16: 12 windows (192 targets) in all; run.eval_batches 1 of batch 2: 32.
    CHECK(some.output.find("(32 of 200 tokens scored, ") != std::string::npos);
    CHECK(all.output.find("(192 of 200 tokens scored, ") != std::string::npos);
    double loss = 0, perplexity = 0, bpb = 0;
    REQUIRE(std::sscanf(all.output.c_str(), "val loss %lf  perplexity %lf  bits/byte %lf", &loss, &perplexity, &bpb) == 3);
    CHECK(perplexity == doctest::Approx(std::exp(loss)).epsilon(1e-4));
    CHECK(bpb == doctest::Approx(loss / std::log(2.0)).epsilon(1e-4));
  }
}

TEST_CASE("prepare: the summary ends with a newline and names only the first few of many paths") {
  ScratchDir dir("prepare_paths");
  bf::PrepareOptions options;
  options.out_dir = dir / "data";
  for (int i = 0; i < 50; ++i) {
    const std::string path = (dir.path / numbered("f", i)).string() + ".txt";
    write_bytes(path, std::string(200, char('a' + i % 26)));
    options.paths.push_back(path);
  }
  const bf::PrepareReport report = bf::prepare_corpus(options);
  const std::string summary = report.summary();
  CHECK(summary.back() == '\n');
  CHECK(summary.find(dir / "f0.txt, " + dir / "f1.txt, " + dir / "f2.txt, ... (50 paths)") != std::string::npos);
  CHECK(summary.find(dir / "f3.txt") == std::string::npos);
  CHECK(summary.size() < 1000);
  CHECK(report.warning().empty());  // 50 equal files: 10% held out exactly
}

TEST_CASE("prepare: a warning when whole files put validation far from val_fraction, none when close") {
  ScratchDir dir("prepare_share");
  for (int i = 1; i <= 4; ++i) write_bytes((dir.path / "few" / numbered("f", i)).string() + ".txt", std::string(1000 * i, 'x'));
  bf::PrepareOptions options;
  options.out_dir = dir / "data";
  options.paths = {dir / "few"};
  const bf::PrepareReport few = bf::prepare_corpus(options);
  const double share = double(few.val_tokens) / double(few.train_tokens + few.val_tokens);
  CHECK(share > 0.2);
  CHECK(few.warning().find("warning: validation is ") == 0);
  options.val_fraction = share;  // asking for what whole files give: no warning
  CHECK(bf::prepare_corpus(options).warning().empty());
  options.paths = {dir / "few/f4.txt"};  // one file: split inside it, never off
  options.val_fraction = 0.1;
  CHECK(bf::prepare_corpus(options).warning().empty());
}

TEST_CASE("--help shows each option's default") {
  ScratchDir dir("help");
  const bf::test::ChildResult sample = bf::test::run_bareformer({"sample", "--help"}, dir / "sample.txt");
  CHECK(sample.status == 0);
  CHECK(sample.output.find("in [1 - 1000000]=200") != std::string::npos);  // --tokens
  CHECK(sample.output.find("in [0 - 100]=1") != std::string::npos);        // --temperature
  CHECK(sample.output.find("in [0 - 1]=1") != std::string::npos);          // --top-p
  const bf::test::ChildResult prepare = bf::test::run_bareformer({"prepare", "--help"}, dir / "prepare.txt");
  CHECK(prepare.output.find("in [0.001 - 0.9]=0.1") != std::string::npos);  // --val-fraction
  const bf::test::ChildResult exporting = bf::test::run_bareformer({"export", "--help"}, dir / "export.txt");
  CHECK(exporting.output.find("{f32,f16,bf16}=f32") != std::string::npos);
}

TEST_CASE("provenance: cmake/BuildInfo.cmake reports a checkout's commit, unknown elsewhere") {
  auto ok = [](const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()) == 0; };
  if (!ok("cmake --version") || !ok("git --version")) {
    MESSAGE("skipped: needs cmake and git");
    return;
  }
  ScratchDir dir("build_info");
  const std::string script = std::string(BF_SOURCE_DIR) + "/cmake/BuildInfo.cmake";
  auto commit_of = [&](const std::string& source) {
    const std::string out = dir / "build_info.cpp";
    std::filesystem::remove(out);
    REQUIRE(ok("cmake -DSOURCE_DIR=" + source + " -DVERSION=9.9.9 -DOUT=" + out + " -P " + script));
    const std::string text = bf::read_whole_file(out);
    const std::string before = "build_commit() { return \"";
    const size_t at = text.find(before);
    REQUIRE(at != std::string::npos);
    CHECK(text.find("return \"9.9.9\"") != std::string::npos);
    const size_t begin = at + before.size();
    return text.substr(begin, text.find('"', begin) - begin);
  };
  std::filesystem::create_directories(dir.path / "plain");
  CHECK(commit_of(dir / "plain") == "unknown");  // not a checkout (the scratch folder is outside any repository)
  const std::string repo = dir / "repo", git = "git -C " + repo + " -c user.name=t -c user.email=t@t ";
  std::filesystem::create_directories(dir.path / "repo/sub");
  write_bytes(dir / "repo/a.txt", "one\n");
  REQUIRE(ok("git init -q " + repo));
  REQUIRE(ok(git + "add a.txt"));
  REQUIRE(ok(git + "commit -q -m one"));
  const std::string first = commit_of(repo);
  CHECK(is_hash(first));
  CHECK(commit_of(dir / "repo/sub") == "unknown");  // a tree copied inside another repository
  write_bytes(dir / "repo/a.txt", "two\n");
  CHECK(commit_of(repo) == first + "+dirty");
  REQUIRE(ok(git + "commit -q -am two"));
  const std::string second = commit_of(repo);
  CHECK(second != first);
  CHECK(second.find('+') == std::string::npos);
}
