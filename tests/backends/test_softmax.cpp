// softmax (plain and causal), softmax_backward, cross_entropy (incl. ignore_index and all rows ignored)
// and cross_entropy_backward against naive loops. Backwards must accumulate into pre-filled buffers.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

TEST_CASE("the naive softmax Jacobian agrees with finite differences") {
  // Guards the reference itself: softmax_vjp is the explicit Jacobian; check it against central
  // differences of naive::softmax in double.
  bf::Rng rng(50);
  const int64_t rows = 2, cols = 5;
  naive::Vec x = naive::to_d(naive::random_vec<double>(rows * cols, rng, -2, 2));
  const naive::Vec dy = naive::to_d(naive::random_vec<double>(rows * cols, rng));
  const naive::Vec dx = naive::softmax_vjp(naive::softmax(x, rows, cols, false), dy, rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    const double h = 1e-6, saved = x[i];
    auto loss = [&] {
      const naive::Vec y = naive::softmax(x, rows, cols, false);
      double s = 0;
      for (size_t j = 0; j < y.size(); ++j) s += y[j] * dy[j];
      return s;
    };
    x[i] = saved + h;
    const double plus = loss();
    x[i] = saved - h;
    const double minus = loss();
    x[i] = saved;
    CHECK(std::abs((plus - minus) / (2 * h) - dx[i]) < 1e-8);
  }
}

TEST_CASE_TEMPLATE("softmax over the last axis matches a naive loop and rows sum to 1", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(51);
  struct RC {
    int64_t rows, cols;
  };
  for (RC s : {RC{1, 1}, RC{3, 7}, RC{4, 1}, RC{200, 100}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    auto x = naive::random_vec<T>(s.rows * s.cols, rng, -5, 5);
    if (s.cols > 2) x[1] = T(60);  // a large logit: the max subtraction must keep exp finite
    std::vector<T> y(x.size(), T(-1));
    K.softmax(s.rows, s.cols, false, x.data(), y.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), naive::softmax(naive::to_d(x), s.rows, s.cols, false));
    naive::Vec row_sums(s.rows, 0.0);
    for (int64_t r = 0; r < s.rows; ++r)
      for (int64_t c = 0; c < s.cols; ++c) row_sums[r] += double(y[r * s.cols + c]);
    NAIVE_CHECK_CLOSE(row_sums, naive::Vec(s.rows, 1.0), 0.0, 10 * naive::Tol<T>::atol);
  }
}

TEST_CASE_TEMPLATE("causal softmax: masked entries are exactly 0 and visible ones sum to 1", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(52);
  // [B*H, T, T] blocks: the row index inside a block (r % T) decides how many columns are visible.
  for (int64_t Tn : {1, 2, 5, 64}) {
    const int64_t blocks = Tn == 64 ? 6 : 3, rows = blocks * Tn;
    CAPTURE(Tn);
    auto x = naive::random_vec<T>(rows * Tn, rng, -4, 4);
    // Huge values above the diagonal: if they leaked into the max or the sum, the visible part would be off.
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = r % Tn + 1; j < Tn; ++j) x[r * Tn + j] = T(80);
    std::vector<T> y(x.size(), T(-1));
    K.softmax(rows, Tn, true, x.data(), y.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), naive::softmax(naive::to_d(x), rows, Tn, true));
    int64_t nonzero_masked = 0;
    naive::Vec row_sums(rows, 0.0);
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < Tn; ++j) {
        if (j > r % Tn && y[r * Tn + j] != T(0)) ++nonzero_masked;
        row_sums[r] += double(y[r * Tn + j]);
      }
    CHECK(nonzero_masked == 0);
    NAIVE_CHECK_CLOSE(row_sums, naive::Vec(rows, 1.0), 0.0, 10 * naive::Tol<T>::atol);
    // The first row of each block sees only itself.
    for (int64_t b = 0; b < blocks; ++b) CHECK(y[b * Tn * Tn] == T(1));
  }
}

TEST_CASE_TEMPLATE("softmax_backward accumulates y * (dy - <dy, y>)", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(53);
  struct Case {
    int64_t rows, cols;
    bool causal;
  };
  for (Case s : {Case{3, 6, false}, Case{8, 4, true}, Case{200, 100, false}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    CAPTURE(s.causal);
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng, -3, 3);
    std::vector<T> y(x.size());
    K.softmax(s.rows, s.cols, s.causal, x.data(), y.data());
    const auto dy = naive::random_vec<T>(x.size(), rng), dx0 = naive::random_vec<T>(x.size(), rng);
    std::vector<T> dx = dx0;
    K.softmax_backward(s.rows, s.cols, y.data(), dy.data(), dx.data());
    naive::Vec want = naive::softmax_vjp(naive::to_d(y), naive::to_d(dy), s.rows, s.cols);
    for (size_t i = 0; i < want.size(); ++i) want[i] += double(dx0[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(dx), want);
    if (s.causal) {  // masked entries (y = 0) receive no gradient: dx stays at its pre-filled value
      int64_t changed = 0;
      for (int64_t r = 0; r < s.rows; ++r)
        for (int64_t j = r % s.cols + 1; j < s.cols; ++j) changed += dx[r * s.cols + j] != dx0[r * s.cols + j];
      CHECK(changed == 0);
    }
  }
}

TEST_CASE_TEMPLATE("cross_entropy: per-row log-sum-exp and the mean loss over non-ignored rows", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(54);
  const int64_t rows = 6, cols = 9;
  auto x = naive::random_vec<T>(rows * cols, rng, -3, 3);
  x[2] = T(50);  // a large logit: log-sum-exp must be stable
  const std::vector<int32_t> targets = {4, -1, 0, 8, -1, 4};
  std::vector<T> lse(rows, T(-7)), loss(1, T(-7));
  K.cross_entropy(rows, cols, x.data(), targets.data(), -1, lse.data(), loss.data());
  const naive::Vec xd = naive::to_d(x);
  naive::Vec want_lse(rows);
  for (int64_t r = 0; r < rows; ++r) want_lse[r] = naive::log_sum_exp(&xd[r * cols], cols);
  NAIVE_CHECK_CLOSE_T(T, naive::to_d(lse), want_lse);
  NAIVE_CHECK_CLOSE_T(T, naive::to_d(loss), naive::Vec{naive::cross_entropy(xd, targets, rows, cols, -1)});

  SUBCASE("a different ignore_index; -1 is then out of range, so none may be -1") {
    const std::vector<int32_t> t2 = {4, 7, 0, 8, 7, 7};
    K.cross_entropy(rows, cols, x.data(), t2.data(), 7, lse.data(), loss.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(loss), naive::Vec{naive::cross_entropy(xd, t2, rows, cols, 7)});
    // Only rows 0, 2, 3 count: the mean is over 3 rows, not 6.
    const double manual = ((want_lse[0] - xd[0 * cols + 4]) + (want_lse[2] - xd[2 * cols + 0]) +
                           (want_lse[3] - xd[3 * cols + 8])) / 3.0;
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(loss), naive::Vec{manual});
  }
  SUBCASE("every row ignored: the loss is exactly 0") {
    const std::vector<int32_t> none(rows, -1);
    K.cross_entropy(rows, cols, x.data(), none.data(), -1, lse.data(), loss.data());
    CHECK(loss[0] == T(0));
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(lse), want_lse);
  }
}

TEST_CASE_TEMPLATE("cross_entropy_backward accumulates dloss / n_valid * (softmax - onehot)", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(55);
  struct Case {
    int64_t rows, cols;
  };
  for (Case s : {Case{5, 7}, Case{300, 120}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng, -3, 3);
    std::vector<int32_t> targets(s.rows);
    for (int64_t r = 0; r < s.rows; ++r) targets[r] = r % 3 == 1 ? -1 : static_cast<int32_t>(rng.below(s.cols));
    std::vector<T> lse(s.rows), loss(1);
    K.cross_entropy(s.rows, s.cols, x.data(), targets.data(), -1, lse.data(), loss.data());
    const T dloss[1] = {T(1.7)};
    const auto d0 = naive::random_vec<T>(x.size(), rng);
    std::vector<T> d = d0;
    K.cross_entropy_backward(s.rows, s.cols, x.data(), targets.data(), -1, lse.data(), dloss, d.data());
    naive::Vec want = naive::cross_entropy_grad(naive::to_d(x), targets, s.rows, s.cols, -1, double(dloss[0]));
    for (size_t i = 0; i < want.size(); ++i) want[i] += double(d0[i]);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(d), want);
    // Ignored rows are untouched.
    int64_t changed = 0;
    for (int64_t r = 0; r < s.rows; ++r)
      if (targets[r] == -1)
        for (int64_t j = 0; j < s.cols; ++j) changed += d[r * s.cols + j] != d0[r * s.cols + j];
    CHECK(changed == 0);
  }
}

TEST_CASE_TEMPLATE("cross_entropy_backward with every row ignored leaves the gradient unchanged", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(56);
  const int64_t rows = 4, cols = 5;
  const auto x = naive::random_vec<T>(rows * cols, rng);
  const std::vector<int32_t> targets(rows, 3);  // ignore_index 3: every row ignored
  std::vector<T> lse(rows), loss(1);
  K.cross_entropy(rows, cols, x.data(), targets.data(), 3, lse.data(), loss.data());
  CHECK(loss[0] == T(0));
  const T dloss[1] = {T(1)};
  const auto d0 = naive::random_vec<T>(x.size(), rng);
  std::vector<T> d = d0;
  K.cross_entropy_backward(rows, cols, x.data(), targets.data(), 3, lse.data(), dloss, d.data());
  NAIVE_CHECK_CLOSE(naive::to_d(d), naive::to_d(d0), 0.0, 0.0);
}
