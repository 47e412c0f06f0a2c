// Rng: reproducible streams, state save/restore, below() in range, and sane distributions.
#include <doctest/doctest.h>

#include <cmath>
#include <set>
#include <vector>

#include "core/error.h"
#include "core/rng.h"

TEST_CASE("Rng: the same seed gives the same stream; different seeds differ") {
  bf::Rng a(42), b(42), c(43);
  bool any_diff = false;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64(), y = b.next_u64(), z = c.next_u64();
    CHECK(x == y);
    any_diff = any_diff || x != z;
  }
  CHECK(any_diff);
  // seed_with restarts the stream.
  bf::Rng d(7);
  const uint64_t first = d.next_u64();
  d.next_u64();
  d.seed_with(7);
  CHECK(d.next_u64() == first);
}

TEST_CASE("Rng: saving and restoring the state reproduces the stream bit for bit") {
  bf::Rng rng(123);
  for (int i = 0; i < 17; ++i) rng.next_u64();
  const bf::Rng::State saved = rng.state();
  std::vector<double> expected;
  for (int i = 0; i < 50; ++i) expected.push_back(i % 3 == 0 ? rng.normal() : i % 3 == 1 ? rng.uniform() : double(rng.below(1000)));

  auto replay = [&](bf::Rng& target) {
    target.set_state(saved);
    CHECK(target.state() == saved);
    int mismatches = 0;
    for (int i = 0; i < 50; ++i) {
      const double v = i % 3 == 0 ? target.normal() : i % 3 == 1 ? target.uniform() : double(target.below(1000));
      mismatches += v != expected[i];
    }
    CHECK(mismatches == 0);
  };
  replay(rng);  // the same generator, rewound
  bf::Rng other(999);
  replay(other);  // a generator seeded differently takes over the stream
}

TEST_CASE("Rng: below(bound) stays in [0, bound) and hits every value") {
  bf::Rng rng(5);
  for (uint64_t bound : {1ull, 2ull, 3ull, 7ull, 10ull, 1000ull}) {
    CAPTURE(bound);
    std::set<uint64_t> seen;
    bool in_range = true;
    for (int i = 0; i < 5000; ++i) {
      const uint64_t v = rng.below(bound);
      in_range = in_range && v < bound;
      seen.insert(v);
    }
    CHECK(in_range);
    if (bound <= 10) CHECK(seen.size() == bound);
  }
  // A bound near 2^64 (heavy rejection region) still returns values below it.
  const uint64_t big = (1ull << 63) + 12345;
  for (int i = 0; i < 100; ++i) CHECK(rng.below(big) < big);
  CHECK_THROWS_AS(rng.below(0), bf::Error);
}

TEST_CASE("Rng: uniform is in [lo, hi) with the right mean") {
  bf::Rng rng(6);
  double sum = 0, lo_seen = 1, hi_seen = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    const double u = rng.uniform();
    REQUIRE(u >= 0.0);
    REQUIRE(u < 1.0);
    sum += u;
    lo_seen = std::min(lo_seen, u);
    hi_seen = std::max(hi_seen, u);
  }
  CHECK(std::abs(sum / n - 0.5) < 0.01);  // std of the mean: 0.29/sqrt(2e4) = 0.002
  CHECK(lo_seen < 0.001);
  CHECK(hi_seen > 0.999);
  for (int i = 0; i < 1000; ++i) {
    const double v = rng.uniform(-3.0, -1.0);
    REQUIRE(v >= -3.0);
    REQUIRE(v < -1.0);
  }
}

TEST_CASE("Rng: normal has mean 0 and variance 1") {
  bf::Rng rng(8);
  const int n = 20000;
  double sum = 0, sq = 0;
  for (int i = 0; i < n; ++i) {
    const double v = rng.normal();
    REQUIRE(std::isfinite(v));
    sum += v;
    sq += v * v;
  }
  const double mean = sum / n, var = sq / n - mean * mean;
  CHECK(std::abs(mean) < 0.03);       // std of the mean: 1/sqrt(2e4) = 0.007
  CHECK(std::abs(var - 1.0) < 0.05);  // std of the variance: sqrt(2/2e4) = 0.01
}
