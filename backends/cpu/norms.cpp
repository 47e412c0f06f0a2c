// LayerNorm and RMSNorm, forward and backward side by side. Statistics are computed per row; the weight
// and bias gradients are summed over rows in a fixed order (per-thread partials would make the result
// depend on the thread count, and resume must be bitwise exact).
#include <cmath>
#include <vector>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// mean = (1/n) sum x,  var = (1/n) sum (x - mean)^2,  rstd = 1/sqrt(var + eps),
// xhat = (x - mean) rstd,  y = xhat * w + b
template <class T>
void layernorm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T m = 0;
    for (int64_t c = 0; c < cols; ++c) m += xr[c];
    m /= T(cols);
    T var = 0;
    for (int64_t c = 0; c < cols; ++c) var += (xr[c] - m) * (xr[c] - m);
    var /= T(cols);
    const T s = T(1) / std::sqrt(var + eps);
    mean[r] = m;
    rstd[r] = s;
    T* yr = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) yr[c] = (xr[c] - m) * s * w[c] + b[c];
  }
}

// g = dy * w;  dx = rstd (g - mean(g) - xhat mean(g xhat));  dw += sum_rows dy xhat;  db += sum_rows dy
template <class T>
void layernorm_backward(int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd, const T* dy,
                        T* dx_acc, T* dw_acc, T* db_acc) {
  if (dx_acc) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    T g_mean = 0, gx_mean = 0;
    for (int64_t c = 0; c < cols; ++c) {
      const T g = dyr[c] * w[c], xhat = (xr[c] - mean[r]) * rstd[r];
      g_mean += g;
      gx_mean += g * xhat;
    }
    g_mean /= T(cols);
    gx_mean /= T(cols);
    T* dxr = dx_acc + r * cols;
    for (int64_t c = 0; c < cols; ++c) {
      const T xhat = (xr[c] - mean[r]) * rstd[r];
      dxr[c] += rstd[r] * (dyr[c] * w[c] - g_mean - xhat * gx_mean);
    }
  }
  }
  if (!dw_acc && !db_acc) return;
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t c = 0; c < cols; ++c) {
    T dw = 0, db = 0;
    for (int64_t r = 0; r < rows; ++r) {
      dw += dy[r * cols + c] * (x[r * cols + c] - mean[r]) * rstd[r];
      db += dy[r * cols + c];
    }
    if (dw_acc) dw_acc[c] += dw;
    if (db_acc) db_acc[c] += db;
  }
}

// rms = sqrt((1/n) sum x^2),  s = 1/(rms + eps),  y = x s w
template <class T>
void rmsnorm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T sq = 0;
    for (int64_t c = 0; c < cols; ++c) sq += xr[c] * xr[c];
    const T root = std::sqrt(sq / T(cols));
    rms[r] = root;
    const T s = T(1) / (root + eps);
    T* yr = y + r * cols;
    for (int64_t c = 0; c < cols; ++c) yr[c] = xr[c] * s * w[c];
  }
}

// g = dy * w;  d rms / dx_i = x_i / (n rms);  ds/d rms = -s^2, so
//   dx_i = s g_i - s^2 x_i / (n rms) sum_j g_j x_j   (the second term is 0 when rms = 0);
//   dw += sum_rows dy x s
template <class T>
void rmsnorm_backward(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy, T* dx_acc,
                      T* dw_acc) {
  if (dx_acc) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const T s = T(1) / (rms[r] + eps);
    T gx = 0;
    for (int64_t c = 0; c < cols; ++c) gx += dyr[c] * w[c] * xr[c];
    const T k = rms[r] > T(0) ? s * s * gx / (T(cols) * rms[r]) : T(0);
    T* dxr = dx_acc + r * cols;
    for (int64_t c = 0; c < cols; ++c) dxr[c] += s * dyr[c] * w[c] - k * xr[c];
  }
  }
  if (!dw_acc) return;
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t c = 0; c < cols; ++c) {
    T dw = 0;
    for (int64_t r = 0; r < rows; ++r) dw += dy[r * cols + c] * x[r * cols + c] / (rms[r] + eps);
    dw_acc[c] += dw;
  }
}

}  // namespace

template <class T>
void fill_norm_kernels(Kernels<T>& k) {
  k.layernorm = layernorm<T>;
  k.layernorm_backward = layernorm_backward<T>;
  k.rmsnorm = rmsnorm<T>;
  k.rmsnorm_backward = rmsnorm_backward<T>;
}

}  // namespace bf::cpu

namespace bf {
BF_CPU_FAMILY(fill_norm_kernels)
}
