// The data pipeline: token files, training batches and evaluation windows (corpus preparation is in
// test_corpus.cpp).
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
#include "train/batches.h"
#include "text/corpus.h"
#include "io/token_file.h"

namespace fs = std::filesystem;
using namespace bf;

namespace {

using bf::test::read_bytes;
using bf::test::ScratchDir;
using bf::test::write_bytes;

// A token file with a valid header we can then corrupt byte by byte.
std::string valid_token_file(const ScratchDir& dir, int vocab, const std::vector<uint16_t>& tokens) {
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
  ScratchDir dir("data_roundtrip");
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
  ScratchDir dir("data_write_errors");
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
  ScratchDir dir("data_corrupt");
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
