// LayerNorm and RMSNorm kernels, forward (outputs and saved statistics) and backward (every combination of
// wanted gradients, null = not wanted), against naive loops and explicit Jacobians. The references'
// Jacobians are themselves checked against finite differences first.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

// sum_ij dy_ij y_ij for a forward f(x) in double, differentiated numerically in x[i].
template <class Forward>
naive::Vec numeric_vjp(naive::Vec x, const naive::Vec& dy, Forward f) {
  naive::Vec dx(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i], h = 1e-6;
    auto dot = [&] {
      const naive::Vec y = f(x);
      double s = 0;
      for (size_t j = 0; j < y.size(); ++j) s += y[j] * dy[j];
      return s;
    };
    x[i] = saved + h;
    const double plus = dot();
    x[i] = saved - h;
    const double minus = dot();
    x[i] = saved;
    dx[i] = (plus - minus) / (2 * h);
  }
  return dx;
}

struct RC {
  int64_t rows, cols;
};
constexpr RC kShapes[] = {{1, 1}, {3, 8}, {5, 1}, {2, 33}, {200, 96}};

}  // namespace

TEST_CASE("the naive norm Jacobians agree with finite differences") {
  bf::Rng rng(60);
  const int64_t rows = 3, cols = 6;
  const double eps = 1e-5;
  const naive::Vec x = naive::to_d(naive::random_vec<double>(rows * cols, rng, -2, 2));
  const naive::Vec w = naive::to_d(naive::random_vec<double>(cols, rng, 0.5, 1.5));
  const naive::Vec b = naive::to_d(naive::random_vec<double>(cols, rng));
  const naive::Vec dy = naive::to_d(naive::random_vec<double>(rows * cols, rng));

  const naive::NormGrads ln = naive::layer_norm_grads(x, w, dy, rows, cols, eps);
  NAIVE_CHECK_CLOSE(ln.dx, numeric_vjp(x, dy, [&](const naive::Vec& v) { return naive::layer_norm(v, w, b, rows, cols, eps).y; }),
                    1e-6, 1e-8);
  NAIVE_CHECK_CLOSE(ln.dw, numeric_vjp(w, dy, [&](const naive::Vec& v) { return naive::layer_norm(x, v, b, rows, cols, eps).y; }),
                    1e-6, 1e-8);
  NAIVE_CHECK_CLOSE(ln.db, numeric_vjp(b, dy, [&](const naive::Vec& v) { return naive::layer_norm(x, w, v, rows, cols, eps).y; }),
                    1e-6, 1e-8);

  const naive::NormGrads rn = naive::rms_norm_grads(x, w, dy, rows, cols, eps);
  NAIVE_CHECK_CLOSE(rn.dx, numeric_vjp(x, dy, [&](const naive::Vec& v) { return naive::rms_norm(v, w, rows, cols, eps).y; }),
                    1e-6, 1e-8);
  NAIVE_CHECK_CLOSE(rn.dw, numeric_vjp(w, dy, [&](const naive::Vec& v) { return naive::rms_norm(x, v, rows, cols, eps).y; }),
                    1e-6, 1e-8);
}

TEST_CASE_TEMPLATE("layer_norm forward: output, mean and rstd", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(61);
  for (RC s : kShapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const double eps = 1e-5;
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng, -2, 3);
    const auto w = naive::random_vec<T>(s.cols, rng, 0.5, 1.5), b = naive::random_vec<T>(s.cols, rng);
    std::vector<T> y(x.size(), T(9)), mean(s.rows, T(9)), rstd(s.rows, T(9));
    K.layer_norm(s.rows, s.cols, T(eps), x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data());
    const naive::LayerNormOut want =
        naive::layer_norm(naive::to_d(x), naive::to_d(w), naive::to_d(b), s.rows, s.cols, double(T(eps)));
    // rstd can reach 1/sqrt(eps) ~ 316 (a one-column row has variance 0): scale the tolerance with it.
    NAIVE_CHECK_CLOSE(naive::to_d(y), want.y, 10 * naive::Tol<T>::rtol, 10 * naive::Tol<T>::atol);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(mean), want.mean);
    NAIVE_CHECK_CLOSE(naive::to_d(rstd), want.rstd, 10 * naive::Tol<T>::rtol, naive::Tol<T>::atol);
  }
}

TEST_CASE_TEMPLATE("layer_norm of a constant row gives exactly the bias", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  const std::vector<T> x = {T(2.5), T(2.5), T(2.5), T(2.5)}, w = {T(1), T(2), T(3), T(4)};
  const std::vector<T> b = {T(0.5), T(-1), T(0), T(7)};
  std::vector<T> y(4), mean(1), rstd(1);
  K.layer_norm(1, 4, T(1e-5), x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data());
  NAIVE_CHECK_CLOSE(naive::to_d(y), naive::to_d(b), 0.0, 0.0);
  CHECK(double(mean[0]) == 2.5);
}

TEST_CASE_TEMPLATE("layer_norm_backward accumulates dx, dw, db for every subset of wanted gradients", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(62);
  for (RC s : kShapes) {
    if (s.cols == 1) continue;  // xhat = 0 there; covered by the forward test
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const double eps = 1e-5;
    const auto x = naive::random_vec<T>(s.rows * s.cols, rng, -2, 3);
    const auto w = naive::random_vec<T>(s.cols, rng, 0.5, 1.5), b = naive::random_vec<T>(s.cols, rng);
    const auto dy = naive::random_vec<T>(x.size(), rng);
    std::vector<T> y(x.size()), mean(s.rows), rstd(s.rows);
    K.layer_norm(s.rows, s.cols, T(eps), x.data(), w.data(), b.data(), y.data(), mean.data(), rstd.data());
    const naive::NormGrads g =
        naive::layer_norm_grads(naive::to_d(x), naive::to_d(w), naive::to_d(dy), s.rows, s.cols, double(T(eps)));
    const auto dx0 = naive::random_vec<T>(x.size(), rng), dw0 = naive::random_vec<T>(s.cols, rng),
               db0 = naive::random_vec<T>(s.cols, rng);
    // dw and db are sums over rows: allow for their rounding.
    const double sum_atol = naive::Tol<T>::atol * std::sqrt(double(s.rows));
    for (int mask = 0; mask < 8; ++mask) {
      const bool want_dx = mask & 1, want_dw = mask & 2, want_db = mask & 4;
      CAPTURE(want_dx);
      CAPTURE(want_dw);
      CAPTURE(want_db);
      std::vector<T> dx = dx0, dw = dw0, db = db0;
      K.layer_norm_backward(s.rows, s.cols, x.data(), w.data(), mean.data(), rstd.data(), dy.data(),
                           want_dx ? dx.data() : nullptr, want_dw ? dw.data() : nullptr, want_db ? db.data() : nullptr);
      naive::Vec ex = naive::to_d(dx0), ew = naive::to_d(dw0), eb = naive::to_d(db0);
      if (want_dx)
        for (size_t i = 0; i < ex.size(); ++i) ex[i] += g.dx[i];
      if (want_dw)
        for (size_t i = 0; i < ew.size(); ++i) ew[i] += g.dw[i];
      if (want_db)
        for (size_t i = 0; i < eb.size(); ++i) eb[i] += g.db[i];
      NAIVE_CHECK_CLOSE(naive::to_d(dx), ex, naive::Tol<T>::rtol, 10 * naive::Tol<T>::atol);
      NAIVE_CHECK_CLOSE(naive::to_d(dw), ew, naive::Tol<T>::rtol, sum_atol);
      NAIVE_CHECK_CLOSE(naive::to_d(db), eb, naive::Tol<T>::rtol, sum_atol);
    }
  }
}

TEST_CASE_TEMPLATE("rms_norm forward: output and saved rms", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(63);
  for (RC s : kShapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const double eps = 1e-5;
    auto x = naive::random_vec<T>(s.rows * s.cols, rng, -2, 3);
    if (s.rows > 1)
      for (int64_t c = 0; c < s.cols; ++c) x[c] = T(0);  // an all-zero row: rms = 0, y = 0
    const auto w = naive::random_vec<T>(s.cols, rng, 0.5, 1.5);
    std::vector<T> y(x.size(), T(9)), rms(s.rows, T(9));
    K.rms_norm(s.rows, s.cols, T(eps), x.data(), w.data(), y.data(), rms.data());
    const naive::RmsNormOut want = naive::rms_norm(naive::to_d(x), naive::to_d(w), s.rows, s.cols, double(T(eps)));
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want.y);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(rms), want.rms);
  }
}

TEST_CASE_TEMPLATE("rms_norm_backward accumulates dx and dw for every subset of wanted gradients", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(64);
  for (RC s : kShapes) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    const double eps = 1e-5;
    auto x = naive::random_vec<T>(s.rows * s.cols, rng, -2, 3);
    if (s.rows > 1)
      for (int64_t c = 0; c < s.cols; ++c) x[c] = T(0);  // rms = 0: dx = dy w / eps, no division by rms
    const auto w = naive::random_vec<T>(s.cols, rng, 0.5, 1.5);
    const auto dy = naive::random_vec<T>(x.size(), rng);
    std::vector<T> y(x.size()), rms(s.rows);
    K.rms_norm(s.rows, s.cols, T(eps), x.data(), w.data(), y.data(), rms.data());
    const naive::NormGrads g =
        naive::rms_norm_grads(naive::to_d(x), naive::to_d(w), naive::to_d(dy), s.rows, s.cols, double(T(eps)));
    const auto dx0 = naive::random_vec<T>(x.size(), rng), dw0 = naive::random_vec<T>(s.cols, rng);
    for (int mask = 0; mask < 4; ++mask) {
      const bool want_dx = mask & 1, want_dw = mask & 2;
      CAPTURE(want_dx);
      CAPTURE(want_dw);
      std::vector<T> dx = dx0, dw = dw0;
      K.rms_norm_backward(s.rows, s.cols, T(eps), x.data(), w.data(), rms.data(), dy.data(),
                         want_dx ? dx.data() : nullptr, want_dw ? dw.data() : nullptr);
      naive::Vec ex = naive::to_d(dx0), ew = naive::to_d(dw0);
      if (want_dx)
        for (size_t i = 0; i < ex.size(); ++i) ex[i] += g.dx[i];
      if (want_dw)
        for (size_t i = 0; i < ew.size(); ++i) ew[i] += g.dw[i];
      // The zero row has dx = dy w / eps ~ 1e5: relative tolerance covers it.
      NAIVE_CHECK_CLOSE(naive::to_d(dx), ex, 10 * naive::Tol<T>::rtol, 10 * naive::Tol<T>::atol);
      NAIVE_CHECK_CLOSE(naive::to_d(dw), ew, naive::Tol<T>::rtol, naive::Tol<T>::atol * std::sqrt(double(s.rows)));
    }
  }
}
