// LayerNorm and RMSNorm, forward and backward (the math is in backends/cpu/norms.cpp and docs/ops.md).
// Thread mapping: the forward and the dx part of the backward run one warp per row (lane l takes columns
// l, l + 32, ...; row sums are warp butterflies). The weight/bias gradients are column sums over rows,
// done by column_sums_acc (reduce.cuh): fixed row chunks per column, then the chunks in order, in double.
// A null gradient pointer means that gradient is not wanted.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// mean = (1/n) sum x,  var = (1/n) sum (x - mean)^2,  rstd = 1/sqrt(var + eps),  y = (x - mean) rstd w + b
template <class T>
__global__ void layer_norm_kernel(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean,
                                 T* rstd) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = x + r * cols;
    T m = 0;
    for (int64_t c = lane(); c < cols; c += kWarp) m += xr[c];
    m = warp_sum(m) / T(cols);
    T var = 0;
    for (int64_t c = lane(); c < cols; c += kWarp) var += (xr[c] - m) * (xr[c] - m);
    var = warp_sum(var) / T(cols);
    const T s = T(1) / sqrt_(var + eps);
    if (lane() == 0) mean[r] = m, rstd[r] = s;
    T* yr = y + r * cols;
    for (int64_t c = lane(); c < cols; c += kWarp) yr[c] = (xr[c] - m) * s * w[c] + b[c];
  }
}

// g = dy w;  dx += rstd (g - mean(g) - xhat mean(g xhat)),  xhat = (x - mean) rstd
template <class T>
__global__ void layer_norm_dx_kernel(int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd,
                                    const T* dy, T* dx_acc) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const T m = mean[r], s = rstd[r];
    T g_mean = 0, gx_mean = 0;
    for (int64_t c = lane(); c < cols; c += kWarp) {
      const T g = dyr[c] * w[c];
      g_mean += g;
      gx_mean += g * (xr[c] - m) * s;
    }
    g_mean = warp_sum(g_mean) / T(cols);
    gx_mean = warp_sum(gx_mean) / T(cols);
    T* dxr = dx_acc + r * cols;
    for (int64_t c = lane(); c < cols; c += kWarp) dxr[c] += s * (dyr[c] * w[c] - g_mean - (xr[c] - m) * s * gx_mean);
  }
}

// rms = sqrt((1/n) sum x^2),  s = 1/(rms + eps),  y = x s w
template <class T>
__global__ void rms_norm_kernel(int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = x + r * cols;
    T sq = 0;
    for (int64_t c = lane(); c < cols; c += kWarp) sq += xr[c] * xr[c];
    const T root = sqrt_(warp_sum(sq) / T(cols));
    if (lane() == 0) rms[r] = root;
    const T s = T(1) / (root + eps);
    T* yr = y + r * cols;
    for (int64_t c = lane(); c < cols; c += kWarp) yr[c] = xr[c] * s * w[c];
  }
}

// dx_i += s g_i - s^2 x_i / (n rms) sum_j g_j x_j  (g = dy w; the second term is 0 when rms = 0)
template <class T>
__global__ void rms_norm_dx_kernel(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy,
                                  T* dx_acc) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = x + r * cols;
    const T* dyr = dy + r * cols;
    const T s = T(1) / (rms[r] + eps);
    T gx = 0;
    for (int64_t c = lane(); c < cols; c += kWarp) gx += dyr[c] * w[c] * xr[c];
    gx = warp_sum(gx);
    const T k = rms[r] > T(0) ? s * s * gx / (T(cols) * rms[r]) : T(0);
    T* dxr = dx_acc + r * cols;
    for (int64_t c = lane(); c < cols; c += kWarp) dxr[c] += s * dyr[c] * w[c] - k * xr[c];
  }
}

// Column-sum terms for the parameter gradients: dw += sum_r dy xhat (LayerNorm), db += sum_r dy,
// dw += sum_r dy x s (RMSNorm).
template <class T> struct LayerNormDw {
  const T *x, *dy, *mean, *rstd;
  int64_t cols;
  __device__ double operator()(int64_t r, int64_t c) const {
    return static_cast<double>(dy[r * cols + c] * (x[r * cols + c] - mean[r]) * rstd[r]);
  }
};
template <class T> struct Dy {
  const T* dy;
  int64_t cols;
  __device__ double operator()(int64_t r, int64_t c) const { return static_cast<double>(dy[r * cols + c]); }
};
template <class T> struct RmsNormDw {
  const T *x, *dy, *rms;
  T eps;
  int64_t cols;
  __device__ double operator()(int64_t r, int64_t c) const {
    return static_cast<double>(dy[r * cols + c] * x[r * cols + c] * (T(1) / (rms[r] + eps)));
  }
};

template <class T>
void layer_norm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd) {
  if (rows <= 0 || cols <= 0) return;
  layer_norm_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, eps, x, w, b, y, mean, rstd);
  BF_CUDA_CHECK_LAUNCH();
}
template <class T>
void layer_norm_backward(int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd, const T* dy,
                        T* dx_acc, T* dw_acc, T* db_acc) {
  if (rows <= 0 || cols <= 0) return;
  if (dx_acc) {
    layer_norm_dx_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, x, w, mean, rstd, dy, dx_acc);
    BF_CUDA_CHECK_LAUNCH();
  }
  if (dw_acc) column_sums_acc(rows, cols, LayerNormDw<T>{x, dy, mean, rstd, cols}, dw_acc);
  if (db_acc) column_sums_acc(rows, cols, Dy<T>{dy, cols}, db_acc);
}
template <class T>
void rms_norm(int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms) {
  if (rows <= 0 || cols <= 0) return;
  rms_norm_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, eps, x, w, y, rms);
  BF_CUDA_CHECK_LAUNCH();
}
template <class T>
void rms_norm_backward(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy, T* dx_acc,
                      T* dw_acc) {
  if (rows <= 0 || cols <= 0) return;
  if (dx_acc) {
    rms_norm_dx_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, eps, x, w, rms, dy, dx_acc);
    BF_CUDA_CHECK_LAUNCH();
  }
  if (dw_acc) column_sums_acc(rows, cols, RmsNormDw<T>{x, dy, rms, eps, cols}, dw_acc);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(norms)
