// Every matrix-product provider built in (backends/cpu_gemm.h: oneDNN and OpenBLAS for f32, OpenBLAS for
// f64), called directly, against a naive loop on every shape class the ops produce: each transpose
// combination, odd and non-square sizes, k = 0, m or n = 0, alpha and beta, beta = 0 over NaN, and the
// batched form (tiny batches on one thread and batches large enough to run on the pool).
//
// Tolerance, per element (Higham, Accuracy and Stability of Numerical Algorithms, Thm 3.5 / 3.8): any
// summation order, blocked or FMA-contracted, of c = alpha sum_p a_ip b_pj + beta c0 makes at most k + 2
// rounding errors on each path through the sum, so
//     |computed - exact| <= gamma_{k+3} (|alpha| sum_p |a_ip b_pj| + |beta c0|),  gamma_n = n u / (1 - n u)
// with u = 2^-24 (f32) or 2^-53 (f64); one extra term for the final store. The bound is rigorous and
// scales with the operands, so it holds for k = 300 as well as k = 3, for oneDNN's and OpenBLAS's blocking
// alike, and is still tight enough that a wrong leading dimension or transpose (an O(1) error) fails.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

#include "backends/cpu_gemm.h"
#include "core/error.h"
#include "naive.h"

namespace {

struct Dims {
  int64_t batch, m, n, k;
};

template <class T>
double unit_roundoff() {
  return std::ldexp(1.0, -std::numeric_limits<T>::digits);
}

// want[i] = the exact result (naive loop in long double); scale[i] = |alpha| sum |a b| + |beta c0|.
template <class T>
void check_against_bound(const std::vector<T>& got, const naive::Vec& want, const naive::Vec& scale, int64_t k) {
  const double nu = double(k + 3) * unit_roundoff<T>(), gamma = nu / (1 - nu);
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(double(got[i]) - want[i]), allowed = gamma * scale[i] + 1e-300;
    if (!(err <= allowed)) {
      ++bad;
      if (worst < 0 || !(err / allowed <= worst_ratio)) worst = int64_t(i), worst_ratio = err / allowed;
    }
  }
  CHECK_MESSAGE(bad == 0, bad, " of ", got.size(), " elements beyond gamma_{k+3} |alpha||A||B| + |beta C|; worst at ",
                worst, ": got ", (worst >= 0 ? double(got[worst]) : 0.0), " expected ",
                (worst >= 0 ? want[worst] : 0.0));
}

template <class T>
void check_provider(const bf::GemmProvider<T>& p, Dims d, bool ta, bool tb, double alpha, double beta, bf::Rng& rng) {
  const auto a = naive::random_vec<T>(d.batch * d.m * d.k, rng);
  const auto b = naive::random_vec<T>(d.batch * d.k * d.n, rng);
  auto c = naive::random_vec<T>(d.batch * d.m * d.n, rng);
  const naive::Vec ad = naive::to_d(a), bd = naive::to_d(b);
  naive::Vec want = naive::to_d(c), scale(c.size());
  for (size_t i = 0; i < c.size(); ++i) scale[i] = std::abs(beta * double(c[i]));
  if (beta == 0)  // beta = 0 overwrites: NaN in C must not leak into the result
    for (auto& x : c) x = std::numeric_limits<T>::quiet_NaN();
  naive::Vec abs_a(ad.size()), abs_b(bd.size()), abs_prod(scale.size(), 0.0);
  for (size_t i = 0; i < ad.size(); ++i) abs_a[i] = std::abs(ad[i]);
  for (size_t i = 0; i < bd.size(); ++i) abs_b[i] = std::abs(bd[i]);
  for (int64_t i = 0; i < d.batch; ++i) {
    const int64_t ao = i * d.m * d.k, bo = i * d.k * d.n, co = i * d.m * d.n;
    naive::gemm(ta, tb, d.m, d.n, d.k, alpha, ad.data() + ao, bd.data() + bo, beta, want.data() + co);
    naive::gemm(ta, tb, d.m, d.n, d.k, std::abs(alpha), abs_a.data() + ao, abs_b.data() + bo, 0.0,
                abs_prod.data() + co);
  }
  for (size_t i = 0; i < scale.size(); ++i) scale[i] += abs_prod[i];
  if (d.batch == 1)
    p.gemm(ta, tb, d.m, d.n, d.k, T(alpha), a.data(), b.data(), T(beta), c.data());
  else
    p.gemm_batched(d.batch, ta, tb, d.m, d.n, d.k, T(alpha), a.data(), b.data(), T(beta), c.data());
  check_against_bound(c, want, scale, d.k);
}

}  // namespace

TEST_CASE_TEMPLATE("every GEMM provider matches a naive loop on every shape class", T, float, double) {
  const auto providers = bf::cpu_gemm_providers<T>();
  REQUIRE(!providers.empty());
  bf::Rng rng(21);
  // Odd, non-square sizes (a swapped leading dimension shows), a row and a column vector, sizes past one
  // register block (17, 33, 65) and one past a cache block (k = 300), and the attention heads' batches:
  // 3 x 4x6x5 runs on one thread, 6 x 40x36x48 (batch m n k > 2^18) on the pool.
  const Dims shapes[] = {{1, 1, 1, 1},   {1, 3, 5, 7},    {1, 7, 2, 4},     {1, 1, 6, 3},      {1, 6, 1, 9},
                         {1, 33, 17, 29}, {1, 65, 130, 300}, {3, 4, 6, 5}, {6, 40, 36, 48}};
  for (const auto& p : providers) {
    CAPTURE(std::string(p.name));
    for (const Dims d : shapes)
      for (int flags = 0; flags < 4; ++flags) {
        const bool ta = flags & 1, tb = flags & 2;
        CAPTURE(d.batch);
        CAPTURE(d.m);
        CAPTURE(d.n);
        CAPTURE(d.k);
        CAPTURE(ta);
        CAPTURE(tb);
        check_provider(p, d, ta, tb, 1.0, 0.0, rng);    // overwrite
        check_provider(p, d, ta, tb, 0.5, 1.0, rng);    // accumulate (every backward GEMM)
        check_provider(p, d, ta, tb, -2.0, 0.25, rng);  // general alpha and beta
      }
  }
}

TEST_CASE_TEMPLATE("every GEMM provider: k = 0 gives beta C, m = 0 or n = 0 touches nothing", T, float, double) {
  for (const auto& p : bf::cpu_gemm_providers<T>()) {
    CAPTURE(std::string(p.name));
    std::vector<T> a(1, T(7)), b(1, T(7));
    std::vector<T> c = {T(1), T(2), T(3), T(4), T(5), T(6)};
    p.gemm(false, false, 2, 3, 0, T(1), a.data(), b.data(), T(2), c.data());
    NAIVE_CHECK_CLOSE(naive::to_d(c), (naive::Vec{2, 4, 6, 8, 10, 12}), 0.0, 0.0);
    std::vector<T> nan_c(6, std::numeric_limits<T>::quiet_NaN());
    p.gemm(true, true, 2, 3, 0, T(1), a.data(), b.data(), T(0), nan_c.data());
    NAIVE_CHECK_CLOSE(naive::to_d(nan_c), naive::Vec(6, 0.0), 0.0, 0.0);
    std::vector<T> batched = {T(1), T(2), T(3), T(4)};  // 2 products of 1x2, k = 0, beta = -1
    p.gemm_batched(2, false, true, 1, 2, 0, T(1), a.data(), b.data(), T(-1), batched.data());
    NAIVE_CHECK_CLOSE(naive::to_d(batched), (naive::Vec{-1, -2, -3, -4}), 0.0, 0.0);
    std::vector<T> untouched = {T(9)};
    p.gemm(false, false, 0, 3, 2, T(1), a.data(), b.data(), T(0), untouched.data());
    p.gemm(false, false, 3, 0, 2, T(1), a.data(), b.data(), T(0), untouched.data());
    p.gemm_batched(4, false, false, 0, 0, 2, T(1), a.data(), b.data(), T(0), untouched.data());
    CHECK(untouched[0] == T(9));
  }
}

TEST_CASE("the f32 GEMM provider: the build's default, selectable by name, an unknown name is an error") {
  const auto providers = bf::cpu_gemm_providers<float>();
  CHECK(std::string(bf::select_cpu_gemm_provider(nullptr).name) == providers[0].name);
  CHECK(std::string(bf::select_cpu_gemm_provider("").name) == providers[0].name);
  for (const auto& p : providers) {
    CHECK(static_cast<bool>(bf::select_cpu_gemm_provider(p.name).gemm == p.gemm));
    CHECK(bf::cpu_gemm_description(p.name).rfind(p.name, 0) == 0);
  }
  CHECK_THROWS_WITH_AS(bf::select_cpu_gemm_provider("mkl"),
                       doctest::Contains("BAREFORMER_GEMM=mkl: not a GEMM provider of this build (expected"),
                       bf::Error);
  // The table uses the provider the environment names (the test runs with or without BAREFORMER_GEMM).
  const char* env = std::getenv("BAREFORMER_GEMM");
  CHECK(std::string(bf::cpu_gemm_provider()) == bf::select_cpu_gemm_provider(env).name);
  // f64 stays on OpenBLAS: the gradient checks' reference path.
  REQUIRE(bf::cpu_gemm_providers<double>().size() == 1);
  CHECK(std::string(bf::cpu_gemm_providers<double>()[0].name) == "openblas");
  CHECK(static_cast<bool>(bf::cpu_kernels<double>().gemm == bf::cpu_gemm_providers<double>()[0].gemm));
}

// One thread pool: oneDNN and OpenBLAS (its OpenMP build) run on libgomp's pool, the one our loops use,
// so after products large enough to be threaded the process has no more threads than that pool.
TEST_CASE("every f32 GEMM provider runs on the one OpenMP pool: no threads of its own") {
  auto threads_now = [] {
    int64_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) n += entry.is_directory();
    return n;
  };
  const int before = bf::cpu_threads();
  bf::configure_cpu_threads(2);
  const int64_t m = 256, batch = 4;
  // Sized for the batched call, the larger one: batch products of [m/2, m] x [m, m/2] (k = m).
  std::vector<float> a(batch * (m / 2) * m, 0.5f), b(batch * m * (m / 2), 0.25f), c(m * m);
  for (const auto& p : bf::cpu_gemm_providers<float>()) {
    CAPTURE(std::string(p.name));
    p.gemm(false, true, m, m, m, 1.0f, a.data(), b.data(), 0.0f, c.data());
    CHECK(std::count(c.begin(), c.end(), 0.125f * m) == m * m);  // every element: k = m terms of 0.5 x 0.25
    std::fill(c.begin(), c.end(), 0.0f);
    p.gemm_batched(batch, true, false, m / 2, m / 2, m, 1.0f, a.data(), b.data(), 0.0f, c.data());
    CHECK(std::count(c.begin(), c.end(), 0.125f * m) == batch * (m / 2) * (m / 2));
    // The main thread is the pool's first thread: 2 in all. OpenBLAS's pthreads build would add 2 more.
    CHECK(threads_now() <= 2);
  }
  bf::configure_cpu_threads(before);
}
