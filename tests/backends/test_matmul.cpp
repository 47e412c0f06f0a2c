// gemm and gemm_batched against a naive triple loop: every transpose combination, non-square shapes,
// alpha/beta, accumulation into a pre-filled C, and the per-batch offsets of the batched form.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

struct GemmDims {
  int64_t m, n, k;
};

}  // namespace

TEST_CASE_TEMPLATE("gemm matches a naive loop for every transpose combination", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(11);
  // Non-square on purpose (m, n, k all different) so a wrong leading dimension or swapped flag shows.
  for (GemmDims d : {GemmDims{3, 5, 7}, GemmDims{7, 2, 4}, GemmDims{1, 6, 3}, GemmDims{33, 17, 29}}) {
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      CAPTURE(d.m);
      CAPTURE(d.n);
      CAPTURE(d.k);
      CAPTURE(ta);
      CAPTURE(tb);
      const auto a = naive::random_vec<T>(d.m * d.k, rng);
      const auto b = naive::random_vec<T>(d.k * d.n, rng);

      // beta = 0 overwrites: C starts as NaN, which must not leak into the result.
      std::vector<T> c(d.m * d.n, std::numeric_limits<T>::quiet_NaN());
      K.gemm(ta, tb, d.m, d.n, d.k, T(1), a.data(), b.data(), T(0), c.data());
      naive::Vec want(d.m * d.n);
      const naive::Vec ad = naive::to_d(a), bd = naive::to_d(b);
      naive::gemm(ta, tb, d.m, d.n, d.k, 1.0, ad.data(), bd.data(), 0.0, want.data());
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(c), want);

      // alpha != 1 and beta = 1: accumulates onto the previous contents of C.
      const auto c0 = naive::random_vec<T>(d.m * d.n, rng);
      std::vector<T> acc = c0;
      K.gemm(ta, tb, d.m, d.n, d.k, T(0.5), a.data(), b.data(), T(1), acc.data());
      naive::Vec want_acc = naive::to_d(c0);
      naive::gemm(ta, tb, d.m, d.n, d.k, 0.5, ad.data(), bd.data(), 1.0, want_acc.data());
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(acc), want_acc);

      // A general beta.
      std::vector<T> scaled = c0;
      K.gemm(ta, tb, d.m, d.n, d.k, T(-2), a.data(), b.data(), T(0.25), scaled.data());
      naive::Vec want_scaled = naive::to_d(c0);
      naive::gemm(ta, tb, d.m, d.n, d.k, -2.0, ad.data(), bd.data(), 0.25, want_scaled.data());
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(scaled), want_scaled);
    }
  }
}

TEST_CASE_TEMPLATE("gemm with an empty inner dimension gives beta * C", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  std::vector<T> a(1), b(1);
  std::vector<T> c = {T(1), T(2), T(3), T(4), T(5), T(6)};
  K.gemm(false, false, 2, 3, 0, T(1), a.data(), b.data(), T(0), c.data());
  NAIVE_CHECK_CLOSE_T(T, naive::to_d(c), naive::Vec(6, 0.0));
  std::vector<T> d = {T(1), T(2), T(3), T(4), T(5), T(6)};
  K.gemm(false, false, 2, 3, 0, T(1), a.data(), b.data(), T(2), d.data());
  NAIVE_CHECK_CLOSE_T(T, naive::to_d(d), (naive::Vec{2, 4, 6, 8, 10, 12}));
}

TEST_CASE_TEMPLATE("gemm_batched runs each batch entry on its own slices", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(12);
  const int64_t batch = 5, m = 4, n = 3, k = 6;
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    CAPTURE(ta);
    CAPTURE(tb);
    const auto a = naive::random_vec<T>(batch * m * k, rng);
    const auto b = naive::random_vec<T>(batch * k * n, rng);
    const auto c0 = naive::random_vec<T>(batch * m * n, rng);
    for (double beta : {0.0, 1.0}) {
      CAPTURE(beta);
      std::vector<T> c = c0;
      K.gemm_batched(batch, ta, tb, m, n, k, T(1.5), a.data(), b.data(), T(beta), c.data());
      const naive::Vec ad = naive::to_d(a), bd = naive::to_d(b);
      naive::Vec want = naive::to_d(c0);
      for (int64_t i = 0; i < batch; ++i)
        naive::gemm(ta, tb, m, n, k, 1.5, ad.data() + i * m * k, bd.data() + i * k * n, beta, want.data() + i * m * n);
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(c), want);
    }
  }
}

TEST_CASE_TEMPLATE("gemm_batched with one batch entry equals gemm", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(13);
  const int64_t m = 5, n = 4, k = 3;
  const auto a = naive::random_vec<T>(m * k, rng), b = naive::random_vec<T>(k * n, rng);
  std::vector<T> c1(m * n), c2(m * n);
  K.gemm(false, true, m, n, k, T(1), a.data(), b.data(), T(0), c1.data());
  K.gemm_batched(1, false, true, m, n, k, T(1), a.data(), b.data(), T(0), c2.data());
  NAIVE_CHECK_CLOSE(naive::to_d(c2), naive::to_d(c1), 0.0, 0.0);
  naive::Vec want(m * n);
  const naive::Vec ad = naive::to_d(a), bd = naive::to_d(b);
  naive::gemm(false, true, m, n, k, 1.0, ad.data(), bd.data(), 0.0, want.data());
  NAIVE_CHECK_CLOSE_T(T, naive::to_d(c1), want);
}
