// Reference loops for the kernel and op tests, written independently of backends/ and autograd/: plain
// double-precision loops over std::vector<double>, each a direct transcription of the math (no shared code
// with the kernels). Also the comparison helper every suite uses: one CHECK per array, which reports the
// worst element and how many elements are out of tolerance.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

#include "core/rng.h"

namespace naive {

using Vec = std::vector<double>;

// ---- tolerances and comparison ----

// Per dtype: |got - want| <= atol + rtol * |want|.
template <class T>
struct Tol;
template <>
struct Tol<float> {
  static constexpr double rtol = 1e-5, atol = 1e-5;
};
template <>
struct Tol<double> {
  static constexpr double rtol = 1e-12, atol = 1e-12;
};

// Empty string when every element is within tolerance (NaN never is), else a description.
inline std::string mismatch(const Vec& got, const Vec& want, double rtol, double atol) {
  std::ostringstream out;
  out.precision(17);
  if (got.size() != want.size()) {
    out << "size " << got.size() << " != expected " << want.size();
    return out.str();
  }
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - want[i]);
    const double allowed = atol + rtol * std::abs(want[i]);
    if (!(err <= allowed)) {
      ++bad;
      const double ratio = std::isfinite(err) ? err / allowed : INFINITY;
      if (worst < 0 || ratio > worst_ratio || std::isnan(err)) worst = static_cast<int64_t>(i), worst_ratio = ratio;
    }
  }
  if (bad == 0) return "";
  out << bad << " of " << got.size() << " elements out of tolerance (rtol " << rtol << ", atol " << atol
      << "); worst at " << worst << ": got " << got[worst] << " expected " << want[worst];
  return out.str();
}

template <class T>
Vec to_d(const std::vector<T>& v) {
  return Vec(v.begin(), v.end());
}
template <class T>
Vec to_d(const T* p, size_t n) {
  return Vec(p, p + n);
}

template <class T>
std::vector<T> random_vec(size_t n, bf::Rng& rng, double lo = -1.0, double hi = 1.0) {
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(rng.uniform(lo, hi));
  return v;
}

// ---- matrix products ----

// C[m,n] = alpha op(A) op(B) + beta C; A stored [m,k] (or [k,m] when ta), B stored [k,n] (or [n,k] when tb).
inline void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a, const double* b,
                 double beta, double* c) {
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      long double s = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double av = ta ? a[p * m + i] : a[i * k + p];
        const double bv = tb ? b[j * k + p] : b[p * n + j];
        s += static_cast<long double>(av) * bv;
      }
      c[i * n + j] = alpha * static_cast<double>(s) + (beta == 0.0 ? 0.0 : beta * c[i * n + j]);
    }
}

// ---- activations ----

inline double gelu(double x) {
  const double u = std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x);
  return 0.5 * x * (1.0 + std::tanh(u));
}
// d/dx of the tanh-form gelu, derived by hand: with u(x) = c (x + a x^3), t = tanh u,
//   y = x (1 + t) / 2,  y' = (1 + t)/2 + x/2 sech^2(u) u',  u' = c (1 + 3 a x^2),  sech = 1/cosh.
inline double gelu_derivative(double x) {
  const double c = std::sqrt(2.0 / std::numbers::pi), a = 0.044715;
  const double u = c * (x + a * x * x * x);
  const double sech = 1.0 / std::cosh(u);
  return 0.5 * (1.0 + std::tanh(u)) + 0.5 * x * sech * sech * c * (1.0 + 3.0 * a * x * x);
}
// Central difference of a scalar function (for checking a hand-derived derivative).
template <class F>
double central_difference(F f, double x, double h = 1e-5) {
  return (f(x + h) - f(x - h)) / (2 * h);
}

// ---- softmax and cross-entropy ----

// One row of length cols; entries j >= visible are masked (probability 0).
inline Vec softmax_row(const double* x, int64_t cols, int64_t visible) {
  Vec y(cols, 0.0);
  double mx = -INFINITY;
  for (int64_t j = 0; j < visible; ++j) mx = std::max(mx, x[j]);
  double total = 0;
  for (int64_t j = 0; j < visible; ++j) total += std::exp(x[j] - mx);
  for (int64_t j = 0; j < visible; ++j) y[j] = std::exp(x[j] - mx) / total;
  return y;
}
// rows x cols; causal: the row r sees columns j <= r % cols.
inline Vec softmax(const Vec& x, int64_t rows, int64_t cols, bool causal) {
  Vec y(x.size());
  for (int64_t r = 0; r < rows; ++r) {
    Vec row = softmax_row(&x[r * cols], cols, causal ? r % cols + 1 : cols);
    for (int64_t j = 0; j < cols; ++j) y[r * cols + j] = row[j];
  }
  return y;
}
// Vector-Jacobian product through softmax via its explicit Jacobian dy_j/dx_i = y_j (delta_ij - y_i).
inline Vec softmax_vjp(const Vec& y, const Vec& dy, int64_t rows, int64_t cols) {
  Vec dx(y.size(), 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t i = 0; i < cols; ++i) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const double jac = y[r * cols + j] * ((i == j ? 1.0 : 0.0) - y[r * cols + i]);
        s += dy[r * cols + j] * jac;
      }
      dx[r * cols + i] = s;
    }
  return dx;
}
inline double log_sum_exp(const double* x, int64_t n) {
  double mx = -INFINITY;
  for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  double total = 0;
  for (int64_t j = 0; j < n; ++j) total += std::exp(x[j] - mx);
  return mx + std::log(total);
}
// Mean over non-ignored rows of -log softmax(x_r)[t_r]; 0 when every row is ignored.
inline double cross_entropy(const Vec& x, const std::vector<int32_t>& t, int64_t rows, int64_t cols, int32_t ignore) {
  double total = 0;
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (t[r] == ignore) continue;
    const Vec p = softmax_row(&x[r * cols], cols, cols);
    total += -std::log(p[t[r]]);
    ++n;
  }
  return n ? total / static_cast<double>(n) : 0.0;
}
// d loss / d x scaled by dloss: (softmax - onehot) * dloss / n_valid on valid rows, 0 elsewhere.
inline Vec cross_entropy_grad(const Vec& x, const std::vector<int32_t>& t, int64_t rows, int64_t cols, int32_t ignore,
                              double dloss) {
  Vec dx(x.size(), 0.0);
  int64_t n = 0;
  for (int64_t r = 0; r < rows; ++r) n += t[r] != ignore;
  if (n == 0) return dx;
  for (int64_t r = 0; r < rows; ++r) {
    if (t[r] == ignore) continue;
    const Vec p = softmax_row(&x[r * cols], cols, cols);
    for (int64_t j = 0; j < cols; ++j)
      dx[r * cols + j] = dloss / static_cast<double>(n) * (p[j] - (j == t[r] ? 1.0 : 0.0));
  }
  return dx;
}

// ---- normalisation ----

struct LayerNormOut {
  Vec y, mean, rstd;
};
inline LayerNormOut layer_norm(const Vec& x, const Vec& w, const Vec& b, int64_t rows, int64_t cols, double eps) {
  LayerNormOut o{Vec(x.size()), Vec(rows), Vec(rows)};
  for (int64_t r = 0; r < rows; ++r) {
    const double* xr = &x[r * cols];
    double mu = 0;
    for (int64_t c = 0; c < cols; ++c) mu += xr[c];
    mu /= static_cast<double>(cols);
    double var = 0;
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - mu) * (xr[c] - mu);
    var /= static_cast<double>(cols);
    o.mean[r] = mu;
    o.rstd[r] = 1.0 / std::sqrt(var + eps);
    for (int64_t c = 0; c < cols; ++c) o.y[r * cols + c] = (xr[c] - mu) / std::sqrt(var + eps) * w[c] + b[c];
  }
  return o;
}
struct NormGrads {
  Vec dx, dw, db;
};
// LayerNorm gradients through the explicit Jacobian: with xhat = (x - mu) rstd,
//   d xhat_j / d x_i = rstd (delta_ij - 1/n - xhat_i xhat_j / n),   y_j = xhat_j w_j + b_j.
inline NormGrads layer_norm_grads(const Vec& x, const Vec& w, const Vec& dy, int64_t rows, int64_t cols, double eps) {
  const LayerNormOut f = layer_norm(x, w, Vec(cols, 0.0), rows, cols, eps);
  NormGrads g{Vec(x.size(), 0.0), Vec(cols, 0.0), Vec(cols, 0.0)};
  const double n = static_cast<double>(cols);
  for (int64_t r = 0; r < rows; ++r) {
    Vec xhat(cols);
    for (int64_t c = 0; c < cols; ++c) xhat[c] = (x[r * cols + c] - f.mean[r]) * f.rstd[r];
    for (int64_t i = 0; i < cols; ++i) {
      double s = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const double jac = f.rstd[r] * ((i == j ? 1.0 : 0.0) - 1.0 / n - xhat[i] * xhat[j] / n);
        s += dy[r * cols + j] * w[j] * jac;
      }
      g.dx[r * cols + i] = s;
    }
    for (int64_t c = 0; c < cols; ++c) {
      g.dw[c] += dy[r * cols + c] * xhat[c];
      g.db[c] += dy[r * cols + c];
    }
  }
  return g;
}

// RMSNorm (the paper's form): y = x / (rms + eps) * w, rms = sqrt(mean x^2).
struct RmsNormOut {
  Vec y, rms;
};
inline RmsNormOut rms_norm(const Vec& x, const Vec& w, int64_t rows, int64_t cols, double eps) {
  RmsNormOut o{Vec(x.size()), Vec(rows)};
  for (int64_t r = 0; r < rows; ++r) {
    double sq = 0;
    for (int64_t c = 0; c < cols; ++c) sq += x[r * cols + c] * x[r * cols + c];
    o.rms[r] = std::sqrt(sq / static_cast<double>(cols));
    for (int64_t c = 0; c < cols; ++c) o.y[r * cols + c] = x[r * cols + c] / (o.rms[r] + eps) * w[c];
  }
  return o;
}
// Explicit Jacobian: s = 1/(rms + eps), d rms/d x_i = x_i / (n rms) (0 when rms = 0),
//   d y_j / d x_i = w_j (delta_ij s - x_j s^2 d rms/d x_i).
inline NormGrads rms_norm_grads(const Vec& x, const Vec& w, const Vec& dy, int64_t rows, int64_t cols, double eps) {
  const RmsNormOut f = rms_norm(x, w, rows, cols, eps);
  NormGrads g{Vec(x.size(), 0.0), Vec(cols, 0.0), Vec()};
  const double n = static_cast<double>(cols);
  for (int64_t r = 0; r < rows; ++r) {
    const double s = 1.0 / (f.rms[r] + eps);
    for (int64_t i = 0; i < cols; ++i) {
      const double drms = f.rms[r] > 0 ? x[r * cols + i] / (n * f.rms[r]) : 0.0;
      double acc = 0;
      for (int64_t j = 0; j < cols; ++j) {
        const double jac = w[j] * ((i == j ? s : 0.0) - x[r * cols + j] * s * s * drms);
        acc += dy[r * cols + j] * jac;
      }
      g.dx[r * cols + i] = acc;
    }
    for (int64_t c = 0; c < cols; ++c) g.dw[c] += dy[r * cols + c] * x[r * cols + c] * s;
  }
  return g;
}

// ---- head permutations ----

// [B,T,H,dk] -> [B,H,T,dk]
inline Vec split_heads(const Vec& x, int64_t B, int64_t T, int64_t H, int64_t dk) {
  Vec y(x.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < T; ++t)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t c = 0; c < dk; ++c) y[((b * H + h) * T + t) * dk + c] = x[((b * T + t) * H + h) * dk + c];
  return y;
}
// [B,H,T,dk] -> [B,T,H,dk]
inline Vec merge_heads(const Vec& x, int64_t B, int64_t T, int64_t H, int64_t dk) {
  Vec y(x.size());
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t t = 0; t < T; ++t)
        for (int64_t c = 0; c < dk; ++c) y[((b * T + t) * H + h) * dk + c] = x[((b * H + h) * T + t) * dk + c];
  return y;
}

}  // namespace naive

// One CHECK per array; the message names the worst element.
#define NAIVE_CHECK_CLOSE(got, want, rtol, atol)                         \
  do {                                                                   \
    const std::string naive_mismatch_ = naive::mismatch(got, want, rtol, atol); \
    CHECK_MESSAGE(naive_mismatch_.empty(), naive_mismatch_);             \
  } while (0)

// With the dtype's default tolerance.
#define NAIVE_CHECK_CLOSE_T(T, got, want) NAIVE_CHECK_CLOSE(got, want, naive::Tol<T>::rtol, naive::Tol<T>::atol)
