// LayerNorm and RMSNorm, forward and backward side by side. A null gradient pointer means that
// gradient is not wanted. Statistics are computed per row (SIMD reductions: a fixed order for a given
// build). The backward is one pass over x and dy: each of a FIXED number of row chunks (not one per
// thread) sums its rows' weight/bias gradient into its own partial, and the partials are added in chunk
// order, so the result never depends on the thread count (resume must be bitwise exact).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

constexpr int64_t kRowChunks = 16;

// Runs row_fn(r, dw_partial, db_partial) for every row, rows split into kRowChunks chunks over threads;
// then dw_acc += sum of the chunk partials in chunk order (likewise db_acc). Null accumulators are skipped.
template <class T, class RowFn>
void rows_with_column_partials(int64_t rows, int64_t cols, T* dw_acc, T* db_acc, RowFn row_fn) {
  const int64_t chunks = std::min<int64_t>(kRowChunks, std::max<int64_t>(rows, 1));
  std::vector<T> dw_part(dw_acc ? chunks * cols : 0, T(0)), db_part(db_acc ? chunks * cols : 0, T(0));
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t k = 0; k < chunks; ++k) {
    const int64_t r0 = rows * k / chunks, r1 = rows * (k + 1) / chunks;
    T* dw = dw_acc ? dw_part.data() + k * cols : nullptr;
    T* db = db_acc ? db_part.data() + k * cols : nullptr;
    for (int64_t r = r0; r < r1; ++r) row_fn(r, dw, db);
  }
  for (int64_t k = 0; k < chunks; ++k) {
    if (dw_acc)
      for (int64_t c = 0; c < cols; ++c) dw_acc[c] += dw_part[k * cols + c];
    if (db_acc)
      for (int64_t c = 0; c < cols; ++c) db_acc[c] += db_part[k * cols + c];
  }
}

// mean = (1/n) sum x,  var = (1/n) sum (x - mean)^2,  rstd = 1/sqrt(var + eps),
// xhat = (x - mean) rstd,  y = xhat * w + b
template <class T>
void layer_norm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T m = 0;
#pragma omp simd reduction(+ : m)
    for (int64_t c = 0; c < cols; ++c) m += xr[c];
    m /= T(cols);
    T var = 0;
#pragma omp simd reduction(+ : var)
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - m) * (xr[c] - m);
    var /= T(cols);
    const T s = T(1) / std::sqrt(var + eps);
    mean[r] = m;
    rstd[r] = s;
    T* yr = y + r * cols;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - m) * s * w[c] + b[c];
  }
}

// g = dy * w;  dx = rstd (g - mean(g) - xhat mean(g xhat));  dw += sum_rows dy xhat;  db += sum_rows dy
template <class T>
void layer_norm_backward(int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd, const T* dy,
                        T* dx_acc, T* dw_acc, T* db_acc) {
  rows_with_column_partials(rows, cols, dw_acc, db_acc, [&](int64_t r, T* dw, T* db) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const T m = mean[r], s = rstd[r];
    if (dx_acc) {
      T g_mean = 0, gx_mean = 0;
#pragma omp simd reduction(+ : g_mean, gx_mean)
      for (int64_t c = 0; c < cols; ++c) {
        const T g = dyr[c] * w[c];
        g_mean += g;
        gx_mean += g * (xr[c] - m) * s;
      }
      g_mean /= T(cols);
      gx_mean /= T(cols);
      T* dxr = dx_acc + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) dxr[c] += s * (dyr[c] * w[c] - g_mean - (xr[c] - m) * s * gx_mean);
    }
    if (dw)
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) dw[c] += dyr[c] * (xr[c] - m) * s;
    if (db)
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) db[c] += dyr[c];
  });
}

// rms = sqrt((1/n) sum x^2),  s = 1/(rms + eps),  y = x s w
template <class T>
void rms_norm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T sq = 0;
#pragma omp simd reduction(+ : sq)
    for (int64_t c = 0; c < cols; ++c) sq += xr[c] * xr[c];
    const T root = std::sqrt(sq / T(cols));
    rms[r] = root;
    const T s = T(1) / (root + eps);
    T* yr = y + r * cols;
#pragma omp simd
    for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] * s * w[c];
  }
}

// g = dy * w;  d rms / dx_i = x_i / (n rms);  ds/d rms = -s^2, so
//   dx_i = s g_i - s^2 x_i / (n rms) sum_j g_j x_j   (the second term is 0 when rms = 0);
//   dw += sum_rows dy x s
template <class T>
void rms_norm_backward(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy, T* dx_acc,
                      T* dw_acc) {
  rows_with_column_partials(rows, cols, dw_acc, static_cast<T*>(nullptr), [&](int64_t r, T* dw, T*) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const T s = T(1) / (rms[r] + eps);
    if (dx_acc) {
      T gx = 0;
#pragma omp simd reduction(+ : gx)
      for (int64_t c = 0; c < cols; ++c) gx += dyr[c] * w[c] * xr[c];
      const T k = rms[r] > T(0) ? s * s * gx / (T(cols) * rms[r]) : T(0);
      T* dxr = dx_acc + r * cols;
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) dxr[c] += s * dyr[c] * w[c] - k * xr[c];
    }
    if (dw)
#pragma omp simd
      for (int64_t c = 0; c < cols; ++c) dw[c] += dyr[c] * xr[c] * s;
  });
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(norms)
