// The fused optimiser kernels (sum_squares_acc, adamw_update, sgd_update) against naive loops written from
// the formulas in backends/kernels.h, over several steps and at a size above the OpenMP grain.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

TEST_CASE_TEMPLATE("sum_squares_acc adds sum x^2 (in double) onto out", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(91);
  for (int64_t n : {1, 7, 40000}) {
    CAPTURE(n);
    const auto x = naive::random_vec<T>(n, rng, -2, 2);
    double want = 0.75;
    for (T v : x) want += double(v) * double(v);
    double out = 0.75;
    K.sum_squares_acc(n, x.data(), &out);
    // Accumulated in double from the T values: close to double precision in both dtypes.
    CHECK(std::abs(out - want) <= 1e-12 * want);
  }
}

// Clipping uses this sum, and a resumed run must be bitwise equal to an uninterrupted one whatever the
// thread count: the summation order may depend on n only.
TEST_CASE_TEMPLATE("sum_squares_acc gives the same bits on 1 and 2 threads, across chunk boundaries", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(93);
  const int before = bf::cpu_threads();
  for (int64_t n : {16383, 16384, 16385, 100003}) {
    CAPTURE(n);
    const auto x = naive::random_vec<T>(n, rng, -2, 2);
    double one = 0, two = 0;
    bf::configure_cpu_threads(1);
    K.sum_squares_acc(n, x.data(), &one);
    bf::configure_cpu_threads(2);
    K.sum_squares_acc(n, x.data(), &two);
    CHECK(one == two);
  }
  bf::configure_cpu_threads(before);
}

TEST_CASE_TEMPLATE("adamw_update follows decoupled decay + bias-corrected Adam, step after step", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(92);
  const double lr = 0.01, b1 = 0.9, b2 = 0.95, eps = 1e-6, wd = 0.1, scale = 0.5;
  for (int64_t n : {5, 40001}) {
    CAPTURE(n);
    std::vector<T> p = naive::random_vec<T>(n, rng), m(n, T(0)), v(n, T(0));
    naive::Vec pr = naive::to_d(p), mr(n, 0.0), vr(n, 0.0);
    for (int step = 1; step <= 3; ++step) {
      CAPTURE(step);
      const auto g = naive::random_vec<T>(n, rng, -3, 3);
      const double bc1 = 1 - std::pow(b1, step), bc2 = 1 - std::pow(b2, step);
      K.adamw_update(n, p.data(), g.data(), m.data(), v.data(), T(scale), T(lr), T(b1), T(b2), T(eps), T(wd), T(bc1),
                     T(bc2));
      for (int64_t i = 0; i < n; ++i) {
        const double gi = double(g[i]) * scale;
        pr[i] -= lr * wd * pr[i];
        mr[i] = b1 * mr[i] + (1 - b1) * gi;
        vr[i] = b2 * vr[i] + (1 - b2) * gi * gi;
        const double mhat = mr[i] / bc1, vhat = vr[i] / bc2;
        pr[i] -= lr * mhat / (std::sqrt(vhat) + eps);
      }
      NAIVE_CHECK_CLOSE(naive::to_d(m), mr, 10 * naive::Tol<T>::rtol, naive::Tol<T>::atol);
      NAIVE_CHECK_CLOSE(naive::to_d(v), vr, 10 * naive::Tol<T>::rtol, naive::Tol<T>::atol);
      NAIVE_CHECK_CLOSE(naive::to_d(p), pr, 10 * naive::Tol<T>::rtol, naive::Tol<T>::atol);
    }
  }
}

TEST_CASE_TEMPLATE("adamw_update with zero weight decay leaves no decay; the first step moves by about lr", T, float,
                   double) {
  const auto& K = bf::cpu_kernels<T>();
  std::vector<T> p = {T(1), T(-1), T(2)}, m(3, T(0)), v(3, T(0));
  const std::vector<T> g = {T(0.3), T(-4), T(0)};
  const double lr = 0.1;
  K.adamw_update(3, p.data(), g.data(), m.data(), v.data(), T(1), T(lr), T(0.9), T(0.999), T(1e-8), T(0), T(0.1),
                 T(0.001));
  // t = 1: mhat = g, vhat = g^2, so the step is lr * sign(g) (and 0 for g = 0).
  NAIVE_CHECK_CLOSE(naive::to_d(p), (naive::Vec{1 - lr, -1 + lr, 2}), 1e-6, 1e-6);
}

TEST_CASE_TEMPLATE("sgd_update: decoupled decay, momentum buffer, scaled gradient", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(93);
  const double lr = 0.05, mu = 0.8, wd = 0.2, scale = 2.0;
  for (int64_t n : {4, 40001}) {
    CAPTURE(n);
    std::vector<T> p = naive::random_vec<T>(n, rng), buf(n, T(0));
    naive::Vec pr = naive::to_d(p), br(n, 0.0);
    for (int step = 1; step <= 3; ++step) {
      CAPTURE(step);
      const auto g = naive::random_vec<T>(n, rng);
      K.sgd_update(n, p.data(), g.data(), buf.data(), T(scale), T(lr), T(mu), T(wd));
      for (int64_t i = 0; i < n; ++i) {
        pr[i] -= lr * wd * pr[i];
        br[i] = mu * br[i] + scale * double(g[i]);
        pr[i] -= lr * br[i];
      }
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(buf), br);
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(p), pr);
    }
  }
}
