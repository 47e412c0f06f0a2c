// Elementwise kernels against naive loops, at a small size and one above the OpenMP grain (so both the
// serial and the threaded paths run). The *_acc kernels must add onto pre-filled outputs.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

// Sizes: below and above kParallelGrain (1 << 14), and an odd one for vector-loop tails.
constexpr int64_t kSizes[] = {1, 13, 40001};

}  // namespace

TEST_CASE_TEMPLATE("add, sub, mul overwrite their output with the elementwise result", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(21);
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto a = naive::random_vec<T>(n, rng, -3, 3), b = naive::random_vec<T>(n, rng, -3, 3);
    naive::Vec sum(n), diff(n), prod(n);
    for (int64_t i = 0; i < n; ++i) {
      sum[i] = double(a[i]) + double(b[i]);
      diff[i] = double(a[i]) - double(b[i]);
      prod[i] = double(a[i]) * double(b[i]);
    }
    std::vector<T> out(n, T(123));  // garbage that must be overwritten
    K.add(n, a.data(), b.data(), out.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out), sum);
    std::fill(out.begin(), out.end(), T(123));
    K.sub(n, a.data(), b.data(), out.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out), diff);
    std::fill(out.begin(), out.end(), T(123));
    K.mul(n, a.data(), b.data(), out.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out), prod);
  }
}

TEST_CASE_TEMPLATE("scale and fill overwrite; axpy and mul_acc accumulate", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(22);
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto x = naive::random_vec<T>(n, rng), y0 = naive::random_vec<T>(n, rng), b = naive::random_vec<T>(n, rng);
    const T alpha = T(-1.75);

    std::vector<T> out(n, T(99));
    K.scale(n, alpha, x.data(), out.data());
    naive::Vec want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = -1.75 * double(x[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out), want);

    K.fill(n, T(0.375), out.data());
    NAIVE_CHECK_CLOSE(naive::to_d(out), naive::Vec(n, 0.375), 0.0, 0.0);

    std::vector<T> y = y0;
    K.axpy(n, alpha, x.data(), y.data());
    for (int64_t i = 0; i < n; ++i) want[i] = double(y0[i]) - 1.75 * double(x[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);

    y = y0;
    K.mul_acc(n, x.data(), b.data(), y.data());
    for (int64_t i = 0; i < n; ++i) want[i] = double(y0[i]) + double(x[i]) * double(b[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);
  }
}

TEST_CASE_TEMPLATE("scale works in place (out == x)", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  std::vector<T> v = {T(1), T(-2), T(4)};
  K.scale(3, T(0.5), v.data(), v.data());
  NAIVE_CHECK_CLOSE(naive::to_d(v), (naive::Vec{0.5, -1, 2}), 0.0, 0.0);
}

TEST_CASE_TEMPLATE("scale_by reads its gain from a buffer; scale_by_acc and dot_acc accumulate", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(23);
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto x = naive::random_vec<T>(n, rng), b = naive::random_vec<T>(n, rng), y0 = naive::random_vec<T>(n, rng);
    const T gain[1] = {T(0.8125)};

    std::vector<T> out(n, T(7));
    K.scale_by(n, gain, x.data(), out.data());
    naive::Vec want(n);
    for (int64_t i = 0; i < n; ++i) want[i] = 0.8125 * double(x[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out), want);

    std::vector<T> y = y0;
    K.scale_by_acc(n, gain, x.data(), y.data());
    for (int64_t i = 0; i < n; ++i) want[i] = double(y0[i]) + 0.8125 * double(x[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);

    T acc[1] = {T(2.5)};
    K.dot_acc(n, x.data(), b.data(), acc);
    double dot = 0;
    for (int64_t i = 0; i < n; ++i) dot += double(x[i]) * double(b[i]);
    // A sum of n products: allow the rounding of an f32 result of that magnitude.
    NAIVE_CHECK_CLOSE(naive::Vec{double(acc[0])}, naive::Vec{2.5 + dot}, naive::Tol<T>::rtol,
                      naive::Tol<T>::atol * std::sqrt(double(n)));
  }
}

TEST_CASE_TEMPLATE("dot_acc is deterministic: two calls give bit-identical results", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(24);
  const int64_t n = 100000;
  const auto a = naive::random_vec<T>(n, rng), b = naive::random_vec<T>(n, rng);
  T r1[1] = {T(0)}, r2[1] = {T(0)};
  K.dot_acc(n, a.data(), b.data(), r1);
  K.dot_acc(n, a.data(), b.data(), r2);
  CHECK(r1[0] == r2[0]);
}
