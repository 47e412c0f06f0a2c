// The data pipeline: token files, corpus preparation, training batches and evaluation windows.
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
#include "train/batches.h"
#include "train/corpus.h"
#include "train/token_file.h"

namespace fs = std::filesystem;
using namespace bf;

namespace {

// A fresh folder under the system temp dir, unique per process and per use, removed on scope exit.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path = fs::temp_directory_path() /
           ("bf_test_data_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

void write_bytes(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  REQUIRE(out.good());
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

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

// A token file with a valid header we can then corrupt byte by byte.
std::string valid_token_file(const TempDir& dir, int vocab, const std::vector<uint16_t>& tokens) {
  const std::string path = dir / "tokens.bin";
  write_token_file(path, vocab, tokens);
  return path;
}

void poke_u32(std::string& bytes, size_t offset, uint32_t v) {
  for (int i = 0; i < 4; ++i) bytes[offset + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::string load_error(const std::string& path) {
  try {
    TokenFile::load(path);
  } catch (const bf::Error& e) {
    return e.what();
  }
  return "<no error>";
}

}  // namespace

// --------------------------------------------------------------------------------------------------
// Token files

TEST_CASE("data: token file round trip, 1 and 2 bytes per token") {
  TempDir dir("roundtrip");
  std::vector<uint8_t> bytes;
  for (int i = 0; i < 1000; ++i) bytes.push_back(static_cast<uint8_t>((i * 37) % 256));
  write_token_file(dir / "a.bin", 256, bytes);
  const TokenFile a = TokenFile::load(dir / "a.bin");
  CHECK(a.size() == 1000);
  CHECK(a.vocab_size() == 256);
  CHECK(a.bytes_per_token() == 1);
  CHECK(a.path() == dir / "a.bin");
  CHECK(fs::file_size(dir / "a.bin") == 32 + 1000);
  for (int i = 0; i < 1000; ++i) CHECK(a.token(i) == bytes[static_cast<size_t>(i)]);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}) == 1);  // no temp left

  std::vector<uint16_t> wide;
  for (int i = 0; i < 500; ++i) wide.push_back(static_cast<uint16_t>((i * 7919) % 50000));
  write_token_file(dir / "b.bin", 50000, wide);
  const TokenFile b = TokenFile::load(dir / "b.bin");
  CHECK(b.size() == 500);
  CHECK(b.vocab_size() == 50000);
  CHECK(b.bytes_per_token() == 2);
  CHECK(fs::file_size(dir / "b.bin") == 32 + 2 * 500);
  std::vector<int32_t> expect(wide.begin(), wide.end());
  CHECK(b.to_vector() == expect);
  CHECK(TokenFile::from_tokens(50000, wide).to_vector() == expect);

  // Header bytes exactly as documented.
  const std::string raw = read_bytes(dir / "b.bin");
  CHECK(raw.substr(0, 8) == "BFTOKENS");
  CHECK(static_cast<uint8_t>(raw[8]) == 1);             // version
  CHECK(static_cast<uint8_t>(raw[12]) == (50000 & 0xFF));  // vocab, little-endian
  CHECK(static_cast<uint8_t>(raw[13]) == (50000 >> 8));
  CHECK(static_cast<uint8_t>(raw[16]) == (500 & 0xFF));    // token count
  CHECK(static_cast<uint8_t>(raw[17]) == (500 >> 8));
  CHECK(static_cast<uint8_t>(raw[24]) == 2);            // bytes per token

  // Empty token files are valid.
  write_token_file(dir / "empty.bin", 256, std::vector<uint8_t>{});
  CHECK(TokenFile::load(dir / "empty.bin").size() == 0);

  // copy_tokens is range checked.
  std::vector<int32_t> out(10);
  CHECK_THROWS_AS(a.copy_tokens(995, 10, out.data()), bf::Error);
  CHECK_THROWS_AS(a.token(1000), bf::Error);
}

TEST_CASE("data: write_token_file rejects out-of-vocab ids and bad vocab sizes") {
  TempDir dir("write_errors");
  CHECK_THROWS_WITH_AS(write_token_file(dir / "x.bin", 10, std::vector<uint8_t>{1, 2, 12}),
                       doctest::Contains("token 2 has id 12"), bf::Error);
  CHECK_THROWS_WITH_AS(write_token_file(dir / "x.bin", 0, std::vector<uint16_t>{}), doctest::Contains("vocab_size 0"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(write_token_file(dir / "x.bin", 70000, std::vector<uint16_t>{}),
                       doctest::Contains("vocab_size 70000"), bf::Error);
  CHECK_FALSE(fs::exists(dir / "x.bin"));
  CHECK_THROWS_WITH_AS(TokenFile::from_tokens(100, {5, 100}), doctest::Contains("token 1 has id 100"), bf::Error);
}

TEST_CASE("data: token file header corruption is reported with path, offset and expectation") {
  TempDir dir("corrupt");
  const std::string good_path = valid_token_file(dir, 256, {10, 20, 30, 40, 50});
  const std::string good = read_bytes(good_path);
  REQUIRE(good.size() == 37);
  const std::string bad = dir / "bad.bin";

  auto check = [&](const std::string& bytes, const std::vector<std::string>& phrases) {
    write_bytes(bad, bytes);
    const std::string message = load_error(bad);
    CAPTURE(message);
    CHECK(message.find(bad) != std::string::npos);  // names the path
    for (const auto& phrase : phrases) CHECK(message.find(phrase) != std::string::npos);
    CHECK_THROWS_AS(TokenFile::load(bad), bf::Error);
  };

  SUBCASE("wrong magic") {
    std::string b = good;
    b[0] = 'X';
    check(b, {"not a bareformer token file", "BFTOKENS"});
    check("hello, world: this is just a text file, not tokens\n", {"not a bareformer token file"});
  }
  SUBCASE("too short") {
    check("", {"file too short", "0 bytes", "32-byte header"});
    check(good.substr(0, 20), {"file too short", "20 bytes"});
  }
  SUBCASE("unsupported version") {
    std::string b = good;
    poke_u32(b, 8, 2);
    check(b, {"unsupported version 2", "byte offset 8", "expected 1"});
  }
  SUBCASE("bytes per token") {
    std::string b = good;
    poke_u32(b, 24, 3);
    check(b, {"bytes_per_token 3", "expected 1 or 2"});
  }
  SUBCASE("vocab zero or too large") {
    std::string b = good;
    poke_u32(b, 12, 0);
    check(b, {"vocab_size 0", "expected 1..256"});
    poke_u32(b, 12, 300);
    check(b, {"vocab_size 300", "expected 1..256"});
  }
  SUBCASE("reserved not zero") {
    std::string b = good;
    poke_u32(b, 28, 7);
    check(b, {"reserved", "expected 0"});
  }
  SUBCASE("truncated") {
    check(good.substr(0, good.size() - 1), {"truncated", "expected 37 bytes", "file has 36 bytes"});
    check(good.substr(0, 32), {"truncated", "expected 37 bytes", "file has 32 bytes"});
  }
  SUBCASE("trailing bytes") {
    check(good + "xy", {"trailing bytes", "expected 37 bytes", "file has 39 bytes", "2 extra"});
  }
  SUBCASE("huge token count") {
    std::string b = good;
    poke_u32(b, 16, 0xFFFFFFFFu);
    poke_u32(b, 20, 0xFFFFFFFFu);
    check(b, {"token_count"});
  }
  SUBCASE("out-of-vocab id, 1 byte per token") {
    std::string b = good;
    poke_u32(b, 12, 40);  // vocab 40: token 2 (30) is fine, token 3 (40) is not
    check(b, {"token 3", "byte offset 35", "id 40", "expected < vocab_size 40"});
  }
  SUBCASE("out-of-vocab id, 2 bytes per token") {
    write_token_file(bad, 1000, std::vector<uint16_t>{1, 999, 2});
    std::string b = read_bytes(bad);
    b[32 + 2 * 2] = static_cast<char>(0xE8);  // token 2 := 1000 (0x03E8)
    b[32 + 2 * 2 + 1] = static_cast<char>(0x03);
    check(b, {"token 2", "byte offset 36", "id 1000", "expected < vocab_size 1000"});
  }
  SUBCASE("missing file") {
    const std::string message = load_error(dir / "nope.bin");
    CHECK(message.find("nope.bin") != std::string::npos);
    CHECK(message.find("cannot open") != std::string::npos);
  }
}

// --------------------------------------------------------------------------------------------------
// Corpus preparation

namespace {

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
  TempDir src("prep_src"), out("prep_out");
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
  CHECK(std::distance(fs::directory_iterator(out.path), fs::directory_iterator{}) == 3);  // no temp files left
}

TEST_CASE("data: prepare is deterministic and independent of file creation order and location") {
  TempDir src1("det_src1"), src2("det_src2"), out1("det_out1"), out2("det_out2"), out3("det_out3");
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
  TempDir src("inside");
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
  TempDir src("opts_src"), out("opts_out");
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
    TempDir many("many");
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
  TempDir src("single"), out("single_out");
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
  TempDir src("perr"), out("perr_out");
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
  TempDir lib("fake_lib"), fallback("fallback"), out("default_out");
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
  TempDir out("machine_default");
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

// --------------------------------------------------------------------------------------------------
// Batches

TEST_CASE("data: BatchSampler windows are in bounds and targets are tokens shifted by one") {
  // Token value == its index, so a row's first token is its window start.
  const int64_t n = 1000;
  std::vector<uint16_t> ids(n);
  for (int64_t i = 0; i < n; ++i) ids[static_cast<size_t>(i)] = static_cast<uint16_t>(i);
  const TokenFile data = TokenFile::from_tokens(1024, ids, "ramp");
  const int B = 8, T = 16;
  BatchSampler sampler(data, B, T, 42);
  Tensor tokens, targets;
  int64_t lo = n, hi = -1;
  for (int step = 0; step < 200; ++step) {
    sampler.next(tokens, targets);
    REQUIRE(tokens.shape() == Shape{B, T});
    REQUIRE(targets.shape() == Shape{B, T});
    REQUIRE(tokens.dtype() == DType::i32);
    const int32_t* x = tokens.data<int32_t>();
    const int32_t* y = targets.data<int32_t>();
    for (int b = 0; b < B; ++b) {
      const int64_t start = x[b * T];
      CHECK(start >= 0);
      CHECK(start + T + 1 <= n);  // the window's last target is inside the file
      lo = std::min(lo, start);
      hi = std::max(hi, start);
      for (int t = 0; t < T; ++t) {
        CHECK(x[b * T + t] == start + t);
        CHECK(y[b * T + t] == start + t + 1);
      }
    }
  }
  CHECK(lo < 50);          // starts spread over the whole range
  CHECK(hi > n - T - 60);

  // Both extremes are reachable: a file of T + 3 tokens has starts {0, 1, 2}.
  const TokenFile tiny = TokenFile::from_tokens(1024, std::vector<uint16_t>(ids.begin(), ids.begin() + T + 3));
  BatchSampler small(tiny, 4, T, 1);
  std::set<int32_t> seen;
  for (int step = 0; step < 50; ++step) {
    small.next(tokens, targets);
    for (int b = 0; b < 4; ++b) seen.insert(tokens.data<int32_t>()[b * T]);
  }
  CHECK(seen == std::set<int32_t>{0, 1, 2});

  // Exactly seq_len + 1 tokens: the one window.
  const TokenFile exact = TokenFile::from_tokens(1024, std::vector<uint16_t>(ids.begin(), ids.begin() + T + 1));
  BatchSampler one(exact, 2, T, 3);
  one.next(tokens, targets);
  CHECK(tokens.data<int32_t>()[0] == 0);
  CHECK(targets.data<int32_t>()[T - 1] == T);
}

TEST_CASE("data: BatchSampler is reproducible from its seed and from a saved state") {
  std::vector<uint16_t> ids(5000);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint16_t>((i * 2654435761u) % 256);
  const TokenFile data = TokenFile::from_tokens(256, ids);
  auto draw = [](BatchSampler& s, int steps) {
    std::vector<int32_t> all;
    Tensor x, y;
    for (int i = 0; i < steps; ++i) {
      s.next(x, y);
      for (int32_t v : x.to_vector<int32_t>()) all.push_back(v);
      for (int32_t v : y.to_vector<int32_t>()) all.push_back(v);
    }
    return all;
  };
  BatchSampler a(data, 4, 32, 7), b(data, 4, 32, 7), c(data, 4, 32, 8);
  const auto da = draw(a, 10);
  CHECK(da == draw(b, 10));
  CHECK(da != draw(c, 10));

  // Save mid-stream, continue, restore: the same future batches.
  BatchSampler s(data, 4, 32, 99);
  draw(s, 5);
  const Rng::State saved = s.state();
  const auto future = draw(s, 7);
  s.set_state(saved);
  CHECK(draw(s, 7) == future);
  // ... also into a fresh sampler with another seed (as when resuming from a checkpoint).
  BatchSampler resumed(data, 4, 32, 12345);
  resumed.set_state(saved);
  CHECK(draw(resumed, 7) == future);

  // Tensors of the right shape are filled in place.
  Tensor x, y;
  s.next(x, y);
  const int32_t* px = x.data<int32_t>();
  s.next(x, y);
  CHECK(x.data<int32_t>() == px);
  // ... others are replaced.
  Tensor wrong = Tensor::zeros(Shape{2, 2}, DType::f32);
  s.next(wrong, y);
  CHECK(wrong.dtype() == DType::i32);
  CHECK(wrong.shape() == Shape{4, 32});
}

TEST_CASE("data: BatchSampler rejects a file shorter than one window") {
  const TokenFile data = TokenFile::from_tokens(256, std::vector<uint16_t>(16, 1), "short.bin");
  CHECK_NOTHROW(BatchSampler(data, 2, 15, 0));
  CHECK_THROWS_WITH_AS(BatchSampler(data, 2, 16, 0),
                       doctest::Contains("'short.bin' has 16 tokens, too few for one training window: seq_len 16 needs "
                                         "at least 17"),
                       bf::Error);
  CHECK_THROWS_AS(BatchSampler(data, 0, 4, 0), bf::Error);
  CHECK_THROWS_AS(BatchSampler(data, 2, 0, 0), bf::Error);
}

TEST_CASE("data: eval_window_starts are deterministic, in bounds, non-overlapping and spread") {
  SUBCASE("unlimited covers the file") {
    for (int64_t n : {17, 18, 100, 129, 1000}) {
      const int T = 16;
      const auto starts = eval_window_starts(n, T, 0);
      CAPTURE(n);
      CHECK(static_cast<int64_t>(starts.size()) == (n - 1) / T);
      for (size_t k = 0; k < starts.size(); ++k) CHECK(starts[k] == static_cast<int64_t>(k) * T);
      CHECK(starts.back() + T + 1 <= n);
      CHECK(n - (starts.back() + T + 1) < T);  // the uncovered tail is shorter than a window
      CHECK(eval_window_starts(n, T, 100000) == starts);
    }
  }
  SUBCASE("limited: evenly spaced, disjoint targets") {
    const int64_t n = 100000;
    const int T = 128;
    const auto starts = eval_window_starts(n, T, 10);
    REQUIRE(starts.size() == 10);
    CHECK(starts == eval_window_starts(n, T, 10));
    CHECK(starts.front() == 0);
    const int64_t slots = (n - 1) / T;
    for (size_t k = 0; k < starts.size(); ++k) {
      CHECK(starts[k] % T == 0);
      CHECK(starts[k] + T + 1 <= n);
      if (k > 0) {
        CHECK(starts[k] >= starts[k - 1] + T);  // targets [s+1, s+T] disjoint
        const int64_t gap = starts[k] - starts[k - 1];
        CHECK(gap >= (slots / 10) * T);
        CHECK(gap <= (slots / 10 + 1) * T);
      }
    }
    CHECK(starts.back() >= n - 2 * (n / 10));  // reaches the last part of the file
  }
  SUBCASE("errors") {
    CHECK_THROWS_WITH_AS(eval_window_starts(16, 16, 4), doctest::Contains("too few for one window"), bf::Error);
    CHECK_THROWS_AS(eval_window_starts(100, 0, 4), bf::Error);
    CHECK_THROWS_AS(eval_window_starts(100, 4, -1), bf::Error);
  }
  SUBCASE("gather_windows reads those windows") {
    std::vector<uint16_t> ids(300);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<uint16_t>(i);
    const TokenFile data = TokenFile::from_tokens(512, ids, "val.bin");
    const auto starts = eval_window_starts(data.size(), 32, 4);
    Tensor x, y;
    gather_windows(data, starts, 32, x, y);
    REQUIRE(x.shape() == Shape{4, 32});
    for (int r = 0; r < 4; ++r)
      for (int t = 0; t < 32; ++t) {
        CHECK(x.at({r, t}) == static_cast<double>(starts[static_cast<size_t>(r)] + t));
        CHECK(y.at({r, t}) == static_cast<double>(starts[static_cast<size_t>(r)] + t + 1));
      }
    CHECK_THROWS_WITH_AS(gather_windows(data, {280}, 32, x, y), doctest::Contains("'val.bin': window 0 starting at token 280"),
                         bf::Error);
  }
}
