// Corpus preparation (`bareformer prepare`): which files are read, how validation is held out, and
// determinism.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "scratch.h"
#include "text/corpus.h"
#include "io/token_file.h"

namespace fs = std::filesystem;
using namespace bf;
using bf::test::read_bytes;
using bf::test::ScratchDir;
using bf::test::write_bytes;

namespace {

std::string as_text(const TokenFile& f) {
  std::string s;
  for (int32_t t : f.to_vector()) s.push_back(static_cast<char>(t));
  return s;
}

int count_occurrences(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t pos = hay.find(needle); pos != std::string::npos; pos = hay.find(needle, pos + 1)) ++n;
  return n;
}

// A small text file whose content is unique to `name` and whose size varies with `lines`.
std::string text_for(const std::string& name, int lines) {
  std::string s;
  for (int i = 0; i < lines; ++i) s += "# " + name + " line " + std::to_string(i) + " <<" + name + ">>\n";
  return s;
}

struct Corpus {
  std::vector<std::pair<std::string, std::string>> text_files;  // relative path, content
};

// Writes a corpus of small text files plus things that must be skipped, in the given creation order.
Corpus make_corpus(const fs::path& root, bool reverse_creation = false) {
  Corpus c;
  for (int i = 0; i < 12; ++i) {
    const std::string name = (i % 3 == 0 ? "pkg/" : (i % 3 == 1 ? "pkg/sub/" : "")) + std::string("mod") +
                             std::to_string(i) + (i % 4 == 3 ? ".txt" : ".py");
    c.text_files.push_back({name, text_for(name, 3 + (i * 5) % 11)});
  }
  std::vector<std::pair<std::string, std::string>> all = c.text_files;
  all.push_back({".git/config", text_for("GITCONFIG", 4)});
  all.push_back({"pkg/.hidden.py", text_for("HIDDENFILE", 4)});
  all.push_back({"data.bin", std::string("BINARYMARK\0\x01\x02 more", 19) + text_for("BINARY", 2)});
  all.push_back({"empty.py", ""});
  if (reverse_creation) std::reverse(all.begin(), all.end());
  for (const auto& [name, content] : all) write_bytes(root / name, content);
  return c;
}

}  // namespace

TEST_CASE("data: prepare holds out whole files, skips binary and hidden files, writes corpus.json") {
  ScratchDir src("prep_src"), out("prep_out");
  const Corpus corpus = make_corpus(src.path);
  PrepareOptions opts;
  opts.out_dir = out.path.string();
  opts.paths = {src.path.string()};
  opts.val_fraction = 0.25;
  const PrepareReport report = prepare_corpus(opts);

  const TokenFile train = TokenFile::load(out / "train.bin");
  const TokenFile val = TokenFile::load(out / "val.bin");
  CHECK(train.vocab_size() == 256);
  CHECK(val.vocab_size() == 256);
  const std::string train_text = as_text(train), val_text = as_text(val);

  int64_t total = 0;
  int64_t val_files = 0;
  for (const auto& [name, content] : corpus.text_files) {
    CAPTURE(name);
    const int in_train = count_occurrences(train_text, content);
    const int in_val = count_occurrences(val_text, content);
    CHECK(in_train + in_val == 1);  // each file exactly once, in one split
    // and no part of it leaks into the other split
    const std::string marker = "<<" + name + ">>";
    CHECK((count_occurrences(train_text, marker) == 0 || count_occurrences(val_text, marker) == 0));
    total += static_cast<int64_t>(content.size());
    val_files += in_val;
  }
  for (const std::string skipped : {"GITCONFIG", "HIDDENFILE", "BINARY"}) {
    CHECK(train_text.find(skipped) == std::string::npos);
    CHECK(val_text.find(skipped) == std::string::npos);
  }

  CHECK(report.n_files_train + report.n_files_val == 12);
  CHECK(report.n_files_val == val_files);
  CHECK(report.n_files_val >= 1);
  CHECK(report.n_files_train >= 1);
  CHECK(report.n_skipped_binary == 1);
  CHECK_FALSE(report.default_corpus);
  CHECK_FALSE(report.split_inside_file);
  CHECK(report.train_tokens == train.size());
  CHECK(report.val_tokens == val.size());
  // One 0x0A between consecutive files of a split.
  CHECK(train.size() + val.size() == total + (report.n_files_train - 1) + (report.n_files_val - 1));
  // Validation holds at least val_fraction of the bytes, and is not everything.
  CHECK(static_cast<double>(val.size() - (report.n_files_val - 1)) >= 0.25 * static_cast<double>(total));
  CHECK(report.summary().find("train") != std::string::npos);
  CHECK(report.summary().find(src.path.string()) != std::string::npos);

  // corpus.json lists every file of each split, with sizes.
  const nlohmann::json meta = nlohmann::json::parse(read_bytes(out.path / "corpus.json"));
  CHECK(meta["train"]["files"] == report.n_files_train);
  CHECK(meta["val"]["tokens"] == report.val_tokens);
  CHECK(meta["default_corpus"] == false);
  CHECK(meta["skipped_binary"] == 1);
  std::set<std::string> listed;
  for (const char* split : {"train", "val"})
    for (const auto& f : meta[split]["sources"]) listed.insert(f["path"].get<std::string>());
  CHECK(listed.size() == 12);
  for (const auto& [name, content] : corpus.text_files)
    CHECK(listed.count((fs::absolute(src.path / name).lexically_normal()).string()) == 1);
  CHECK(std::distance(fs::directory_iterator(out.path), fs::directory_iterator{}) == 4);  // the four files, no temp files
}

TEST_CASE("data: prepare is deterministic and independent of file creation order and location") {
  ScratchDir src1("det_src1"), src2("det_src2"), out1("det_out1"), out2("det_out2"), out3("det_out3");
  make_corpus(src1.path, false);
  make_corpus(src2.path, true);
  PrepareOptions opts;
  opts.val_fraction = 0.2;
  opts.paths = {src1.path.string()};
  opts.out_dir = out1.path.string();
  const PrepareReport r1 = prepare_corpus(opts);
  opts.out_dir = out2.path.string();
  prepare_corpus(opts);  // same input again
  opts.paths = {src2.path.string()};
  opts.out_dir = out3.path.string();
  const PrepareReport r3 = prepare_corpus(opts);  // same files, created in reverse order, elsewhere

  for (const char* name : {"train.bin", "val.bin"}) {
    CAPTURE(name);
    const std::string a = read_bytes(out1.path / name);
    CHECK(a == read_bytes(out2.path / name));
    CHECK(a == read_bytes(out3.path / name));
  }
  CHECK(read_bytes(out1.path / "corpus.json") == read_bytes(out2.path / "corpus.json"));
  CHECK(r1.n_files_val == r3.n_files_val);

  // Running again into the same folder overwrites in place with identical bytes.
  opts.paths = {src1.path.string()};
  opts.out_dir = out1.path.string();
  const std::string before = read_bytes(out1.path / "train.bin");
  prepare_corpus(opts);
  CHECK(read_bytes(out1.path / "train.bin") == before);
}

TEST_CASE("data: prepare with an output folder inside the corpus ignores its own outputs") {
  ScratchDir src("inside");
  make_corpus(src.path);
  PrepareOptions opts;
  opts.paths = {src.path.string()};
  opts.out_dir = (src.path / "prepared").string();
  opts.extensions = {".py", ".txt", ".json"};  // corpus.json would match if not excluded
  const PrepareReport a = prepare_corpus(opts);
  const std::string train_a = read_bytes(src.path / "prepared" / "train.bin");
  const PrepareReport b = prepare_corpus(opts);
  CHECK(read_bytes(src.path / "prepared" / "train.bin") == train_a);
  CHECK(a.n_files_train + a.n_files_val == b.n_files_train + b.n_files_val);
}

TEST_CASE("data: prepare options: extensions, explicit files, max_bytes, many files") {
  ScratchDir src("opts_src"), out("opts_out");
  const Corpus corpus = make_corpus(src.path);

  SUBCASE("extension filter") {
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.paths = {src.path.string()};
    opts.extensions = {".txt"};
    const PrepareReport r = prepare_corpus(opts);
    int n_txt = 0;
    for (const auto& [name, content] : corpus.text_files) n_txt += name.ends_with(".txt");
    CHECK(r.n_files_train + r.n_files_val == n_txt);
    const std::string all = as_text(TokenFile::load(out / "train.bin")) + as_text(TokenFile::load(out / "val.bin"));
    CHECK(all.find(".py line") == std::string::npos);
  }
  SUBCASE("explicit files, duplicates counted once") {
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.paths = {(src.path / "mod2.py").string(), (src.path / "pkg/mod0.py").string(), (src.path / "pkg").string()};
    const PrepareReport r = prepare_corpus(opts);
    int n_pkg = 0;
    for (const auto& [name, content] : corpus.text_files) n_pkg += name.starts_with("pkg/");
    CHECK(r.n_files_train + r.n_files_val == n_pkg + 1);
  }
  SUBCASE("max_bytes keeps a sorted prefix of whole files") {
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.paths = {src.path.string()};
    opts.max_bytes = 400;
    const PrepareReport r = prepare_corpus(opts);
    const int64_t n = r.n_files_train + r.n_files_val;
    CHECK(n >= 2);
    CHECK(n < 12);
    CHECK(r.n_skipped_over_limit > 0);
    CHECK(r.train_tokens + r.val_tokens - (r.n_files_train - 1) - (r.n_files_val - 1) <= 400);
  }
  SUBCASE("val fraction over many files") {
    ScratchDir many("many");
    int64_t total = 0;
    for (int i = 0; i < 60; ++i) {
      const std::string name = std::string("f") + std::to_string(i) + ".py";
      const std::string content = text_for(name, 1 + i % 7);
      total += static_cast<int64_t>(content.size());
      write_bytes(many.path / name, content);
    }
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.paths = {many.path.string()};
    opts.val_fraction = 0.1;
    const PrepareReport r = prepare_corpus(opts);
    CHECK(r.n_files_train + r.n_files_val == 60);
    const int64_t val_bytes = r.val_tokens - (r.n_files_val - 1);
    CHECK(static_cast<double>(val_bytes) >= 0.1 * static_cast<double>(total));
    CHECK(static_cast<double>(val_bytes) < 0.1 * static_cast<double>(total) + 200);  // overshoot < one file
    CHECK(r.n_files_val >= 3);
  }
}

TEST_CASE("data: prepare splits a single-file corpus inside the file") {
  ScratchDir src("single"), out("single_out");
  std::string content;
  for (int i = 0; i < 100; ++i) content.push_back(static_cast<char>('a' + i % 26));
  write_bytes(src.path / "only.txt", content);
  PrepareOptions opts;
  opts.out_dir = out.path.string();
  opts.paths = {src.path.string()};
  opts.val_fraction = 0.1;
  const PrepareReport r = prepare_corpus(opts);
  CHECK(r.split_inside_file);
  CHECK(r.train_tokens == 90);
  CHECK(r.val_tokens == 10);
  CHECK(as_text(TokenFile::load(out / "train.bin")) == content.substr(0, 90));
  CHECK(as_text(TokenFile::load(out / "val.bin")) == content.substr(90));

  write_bytes(src.path / "only.txt", "x");
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("needs at least 2"), bf::Error);
}

TEST_CASE("data: prepare errors name what is wrong") {
  ScratchDir src("perr"), out("perr_out");
  PrepareOptions opts;
  opts.out_dir = out.path.string();

  opts.paths = {(src.path / "missing").string()};
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("does not exist"), bf::Error);

  write_bytes(src.path / "blob.dat", std::string("ab\0cd", 5));
  opts.paths = {(src.path / "blob.dat").string()};
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("looks binary (a NUL byte at byte offset 2)"),
                       bf::Error);

  opts.paths = {src.path.string()};  // only a binary file inside: nothing usable
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("no usable text files"), bf::Error);

  write_bytes(src.path / "a.txt", "hello\n");
  opts.val_fraction = 0.0;
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("val_fraction"), bf::Error);
  opts.val_fraction = 1.0;
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("val_fraction"), bf::Error);
  opts.val_fraction = 0.1;
  opts.out_dir = "";
  CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("out_dir"), bf::Error);
}

TEST_CASE("data: default corpus picks the highest python3.N stdlib, else the fallback sources") {
  ScratchDir lib("fake_lib"), fallback("fallback"), out("default_out");
  SUBCASE("python stdlib") {
    for (const char* v : {"python3.9", "python3.10", "python3.12"}) {
      write_bytes(lib.path / v / "os.py", text_for(std::string(v) + "/os.py", 3));
      write_bytes(lib.path / v / "json" / "decoder.py", text_for(std::string(v) + "/json", 3));
      write_bytes(lib.path / v / "site-packages" / "third.py", text_for("THIRDPARTY", 3));
      write_bytes(lib.path / v / "dist-packages" / "deb.py", text_for("DEBPKG", 3));
      write_bytes(lib.path / v / "README.txt", text_for("NOTPY", 3));
    }
    fs::remove(lib.path / "python3.12" / "os.py");  // not a real stdlib: skipped
    fs::create_directories(lib.path / "python3.x");
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.python_lib_root = lib.path.string();
    opts.fallback_dir = fallback.path.string();
    const PrepareReport r = prepare_corpus(opts);
    CHECK(r.default_corpus);
    CHECK(r.source_description.find("Python 3.10 standard library") != std::string::npos);
    CHECK(r.n_files_train + r.n_files_val == 2);
    const std::string all = as_text(TokenFile::load(out / "train.bin")) + as_text(TokenFile::load(out / "val.bin"));
    CHECK(all.find("python3.10/os.py") != std::string::npos);
    CHECK(all.find("python3.9") == std::string::npos);
    CHECK(all.find("THIRDPARTY") == std::string::npos);
    CHECK(all.find("DEBPKG") == std::string::npos);
    CHECK(all.find("NOTPY") == std::string::npos);
    const nlohmann::json meta = nlohmann::json::parse(read_bytes(out.path / "corpus.json"));
    CHECK(meta["default_corpus"] == true);
    CHECK(meta["fallback_used"] == false);
    CHECK(meta["max_bytes"] == kDefaultCorpusMaxBytes);
  }
  SUBCASE("fallback to the project's sources") {
    write_bytes(fallback.path / "core" / "a.cpp", text_for("ACPP", 3));
    write_bytes(fallback.path / "core" / "a.h", text_for("AH", 3));
    write_bytes(fallback.path / "docs" / "m.md", text_for("MD", 3));
    write_bytes(fallback.path / "x.txt", text_for("TXT", 3));
    write_bytes(fallback.path / "build" / "CMakeCache.txt", "# cmake\n");
    write_bytes(fallback.path / "build" / "gen.cpp", text_for("BUILDTREE", 3));
    PrepareOptions opts;
    opts.out_dir = out.path.string();
    opts.python_lib_root = (lib.path / "nothing_here").string();
    opts.fallback_dir = fallback.path.string();
    const PrepareReport r = prepare_corpus(opts);
    CHECK(r.source_description.find("no Python standard library found") != std::string::npos);
    CHECK(r.source_description.find(fallback.path.string()) != std::string::npos);
    CHECK(r.n_files_train + r.n_files_val == 3);
    const std::string all = as_text(TokenFile::load(out / "train.bin")) + as_text(TokenFile::load(out / "val.bin"));
    CHECK(all.find("TXT") == std::string::npos);
    CHECK(all.find("BUILDTREE") == std::string::npos);
    const nlohmann::json meta = nlohmann::json::parse(read_bytes(out.path / "corpus.json"));
    CHECK(meta["fallback_used"] == true);

    opts.fallback_dir = "";
    CHECK_THROWS_WITH_AS(prepare_corpus(opts), doctest::Contains("no Python standard library found"), bf::Error);
  }
}

// Run by hand: ./build/tests/test_train -tc='*machine default corpus*' --no-skip
TEST_CASE("data: prepare the machine default corpus (manual)" * doctest::skip()) {
  ScratchDir out("machine_default");
  PrepareOptions opts;
  opts.out_dir = out.path.string();
  opts.fallback_dir = BF_SOURCE_DIR;
  const auto t0 = std::chrono::steady_clock::now();
  const PrepareReport r = prepare_corpus(opts);
  const double prep_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const auto t1 = std::chrono::steady_clock::now();
  const TokenFile train = TokenFile::load(out / "train.bin");
  const TokenFile val = TokenFile::load(out / "val.bin");
  const double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  std::cout << r.summary() << "\nprepare " << prep_s << " s, load " << load_s << " s\n";
  CHECK(train.size() > 0);
  CHECK(val.size() > 0);
}

