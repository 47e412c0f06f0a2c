// Softmax over the last axis (optionally causal) and the fused log-softmax + cross-entropy. The math is in
// backends/cpu/softmax.cpp and docs/ops.md. Row kernels run one warp per row (device.cuh: lane l takes
// columns l, l + 32, ...); row statistics are warp butterflies, so they are deterministic.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// y_j = exp(x_j - m) / sum_k exp(x_k - m), m = max_k x_k, over the visible k (k <= i when causal, where
// i = r mod cols is the row's index inside its [T, T] block). Masked entries are written as exactly 0.
template <class T> __global__ void softmax_kernel(int64_t rows, int64_t cols, bool causal, const T* x, T* y) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const int64_t visible = causal ? r % cols + 1 : cols;
    T m = neg_infinity<T>();
    for (int64_t j = lane(); j < visible; j += kWarp) m = max_(m, xr[j]);
    m = warp_max(m);
    T sum = 0;
    for (int64_t j = lane(); j < visible; j += kWarp) {
      const T e = exp_(xr[j] - m);
      yr[j] = e;
      sum += e;
    }
    const T inv = T(1) / warp_sum(sum);
    for (int64_t j = lane(); j < cols; j += kWarp) yr[j] = j < visible ? yr[j] * inv : T(0);
  }
}

// dx_j += y_j (dy_j - sum_k dy_k y_k); one warp per row.
template <class T> __global__ void softmax_backward_kernel(int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* yr = y + r * cols;
    const T* dyr = dy + r * cols;
    T dot = 0;
    for (int64_t j = lane(); j < cols; j += kWarp) dot += dyr[j] * yr[j];
    dot = warp_sum(dot);
    T* dxr = dx_acc + r * cols;
    for (int64_t j = lane(); j < cols; j += kWarp) dxr[j] += yr[j] * (dyr[j] - dot);
  }
}

// row_lse[r] = m + log sum_j exp(x_j - m); one warp per row.
template <class T> __global__ void row_lse_kernel(int64_t rows, int64_t cols, const T* logits, T* row_lse) {
  BF_FOR_EACH_WARP_ROW(r, rows) {
    const T* xr = logits + r * cols;
    T m = neg_infinity<T>();
    for (int64_t j = lane(); j < cols; j += kWarp) m = max_(m, xr[j]);
    m = warp_max(m);
    T sum = 0;
    for (int64_t j = lane(); j < cols; j += kWarp) sum += exp_(xr[j] - m);
    sum = warp_sum(sum);
    if (lane() == 0) row_lse[r] = m + log_(sum);
  }
}

// The loss mean, loss = (sum over valid rows r of lse_r - x[r, target_r]) / (number of valid rows), as two
// deterministic_sum passes (reduce.cuh: fixed slices of rows per block, then the slice totals in order, in
// double), so it spreads over up to 512 blocks instead of one: first the count of valid rows into a
// double (exact up to 2^53 rows), then the total, whose finish divides by that count (0 when none is valid).
struct ValidRow {
  const int32_t* targets;
  int32_t ignore_index;
  __device__ double operator()(int64_t r) const { return targets[r] != ignore_index ? 1.0 : 0.0; }
};
template <class T> struct RowNll {
  const T *logits, *row_lse;
  const int32_t* targets;
  int32_t ignore_index;
  int64_t cols;
  __device__ double operator()(int64_t r) const {
    const int32_t t = targets[r];
    return t == ignore_index ? 0.0 : static_cast<double>(row_lse[r]) - static_cast<double>(logits[r * cols + t]);
  }
};
struct StoreTotal {
  double* out;
  __device__ void operator()(double total) const { out[0] = total; }
};
template <class T> struct StoreMean {
  const double* valid;
  T* loss;
  __device__ void operator()(double total) const { loss[0] = valid[0] > 0 ? static_cast<T>(total / valid[0]) : T(0); }
};

// dlogits[r,j] += s exp(x_j - lse_r), then -= s at j = target_r, with s = dloss / n_valid (the CPU's two
// steps, in its order); ignored rows are untouched. Grid-stride, one element of [rows, cols] per thread.
template <class T>
__global__ void cross_entropy_backward_kernel(int64_t n, int64_t cols, const T* logits, const int32_t* targets,
                                              int32_t ignore_index, const T* row_lse, const T* dloss,
                                              const double* valid, T* dlogits_acc) {
  BF_GRID_STRIDE(i, n) {
    const int64_t r = i / cols, j = i % cols;
    const int32_t t = targets[r];
    if (t == ignore_index) continue;
    const T scale = dloss[0] / static_cast<T>(valid[0]);
    T v = dlogits_acc[i] + scale * exp_(logits[i] - row_lse[r]);
    if (j == t) v -= scale;
    dlogits_acc[i] = v;
  }
}

template <class T> void softmax(int64_t rows, int64_t cols, bool causal, const T* x, T* y) {
  if (rows <= 0 || cols <= 0) return;
  softmax_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, causal, x, y);
  BF_CUDA_CHECK_LAUNCH();
}
template <class T> void softmax_backward(int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc) {
  if (rows <= 0 || cols <= 0) return;
  softmax_backward_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, y, dy, dx_acc);
  BF_CUDA_CHECK_LAUNCH();
}
template <class T>
void cross_entropy(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index, T* row_lse,
                   T* loss) {
  if (rows <= 0 || cols <= 0) {  // no row: the mean over no valid row is 0, as on the CPU
    BF_CUDA_CHECK(cudaMemsetAsync(loss, 0, sizeof(T), stream()));  // all-zero bits are +0.0
    return;
  }
  row_lse_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, logits, row_lse);
  BF_CUDA_CHECK_LAUNCH();
  Storage valid(sizeof(double), Device::cuda);
  double* v = static_cast<double*>(valid.data());
  deterministic_sum(rows, ValidRow{targets, ignore_index}, StoreTotal{v});
  deterministic_sum(rows, RowNll<T>{logits, row_lse, targets, ignore_index, cols}, StoreMean<T>{v, loss});
}
template <class T>
void cross_entropy_backward(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,
                            const T* row_lse, const T* dloss, T* dlogits_acc) {
  if (rows <= 0 || cols <= 0) return;
  Storage valid(sizeof(double), Device::cuda);
  double* v = static_cast<double*>(valid.data());
  deterministic_sum(rows, ValidRow{targets, ignore_index}, StoreTotal{v});
  BF_LAUNCH_1D(cross_entropy_backward_kernel<T>, rows * cols, cols, logits, targets, ignore_index, row_lse, dloss, v,
               dlogits_acc);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(softmax)
