// The reduce family: add_bias, sum_rows_acc (the bias gradient), sum_axis and broadcast_axis_acc (sum/mean and
// their backward), each at a small size and one above the OpenMP grain.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

struct RC {
  int64_t rows, cols;
};
// Column counts around the 64-wide blocking of sum_rows_acc; the last one is above the parallel grain.
constexpr RC kRowShapes[] = {{1, 1}, {3, 5}, {7, 64}, {5, 65}, {300, 130}};

struct OLI {
  int64_t outer, len, inner;
};
constexpr OLI kAxisShapes[] = {{1, 1, 1}, {1, 4, 1}, {2, 3, 4}, {3, 1, 5}, {5, 7, 1}, {4, 97, 50}};

}  // namespace

TEST_CASE_TEMPLATE("add_bias adds b[c] to every row", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(41);
  for (RC s : kRowShapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng), b = naive::random_vec<T>(s.cols, rng);
    std::vector<T> y(x.size(), T(-9));
    K.add_bias(s.rows, s.cols, x.data(), b.data(), y.data());
    naive::Vec want(x.size());
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t c = 0; c < s.cols; ++c) want[r * s.cols + c] = double(x[r * s.cols + c]) + double(b[c]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);
    // In place (y == x), as linear uses it.
    std::vector<T> inplace = x;
    K.add_bias(s.rows, s.cols, inplace.data(), b.data(), inplace.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(inplace), want);
  }
}

TEST_CASE_TEMPLATE("sum_rows_acc adds the column sums onto out", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(42);
  for (RC s : kRowShapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng), out0 = naive::random_vec<T>(s.cols, rng);
    std::vector<T> out = out0;
    K.sum_rows_acc(s.rows, s.cols, x.data(), out.data());
    naive::Vec want = naive::to_d(out0);
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t c = 0; c < s.cols; ++c) want[c] += double(x[r * s.cols + c]);
    NAIVE_CHECK_CLOSE(naive::to_d(out), want, naive::Tol<T>::rtol, naive::Tol<T>::atol * std::sqrt(double(s.rows)));
  }
}

TEST_CASE_TEMPLATE("sum_axis sums over the middle axis of [outer, len, inner]", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(43);
  for (OLI s : kAxisShapes) {
    CAPTURE(s.outer);
    CAPTURE(s.len);
    CAPTURE(s.inner);
    const auto x = naive::random_vec<T>(s.outer * s.len * s.inner, rng);
    std::vector<T> out(s.outer * s.inner, T(1000));  // overwritten, not accumulated
    K.sum_axis(s.outer, s.len, s.inner, x.data(), out.data());
    naive::Vec want(s.outer * s.inner, 0.0);
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t l = 0; l < s.len; ++l)
        for (int64_t i = 0; i < s.inner; ++i) want[o * s.inner + i] += double(x[(o * s.len + l) * s.inner + i]);
    NAIVE_CHECK_CLOSE(naive::to_d(out), want, naive::Tol<T>::rtol, naive::Tol<T>::atol * std::sqrt(double(s.len)));
  }
}

TEST_CASE_TEMPLATE("broadcast_axis_acc adds scale * dy[o, i] to every l", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(44);
  for (OLI s : kAxisShapes) {
    CAPTURE(s.outer);
    CAPTURE(s.len);
    CAPTURE(s.inner);
    const auto dy = naive::random_vec<T>(s.outer * s.inner, rng);
    const auto dx0 = naive::random_vec<T>(s.outer * s.len * s.inner, rng);
    std::vector<T> dx = dx0;
    K.broadcast_axis_acc(s.outer, s.len, s.inner, T(0.25), dy.data(), dx.data());
    naive::Vec want = naive::to_d(dx0);
    for (int64_t o = 0; o < s.outer; ++o)
      for (int64_t l = 0; l < s.len; ++l)
        for (int64_t i = 0; i < s.inner; ++i) want[(o * s.len + l) * s.inner + i] += 0.25 * double(dy[o * s.inner + i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(dx), want);
  }
}
