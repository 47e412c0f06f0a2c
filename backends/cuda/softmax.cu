// Softmax over the last axis (optionally causal) and the fused log-softmax + cross-entropy. The math is in
// backends/cpu/softmax.cpp and docs/ops.md. Row kernels run one warp per row (device.cuh: lane l takes
// columns l, l + 32, ...); row statistics are warp butterflies, so they are deterministic.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// y_j = exp(x_j - m) / sum_k exp(x_k - m), m = max_k x_k, over the visible k (k <= i when causal, where
// i = r mod cols is the row's index inside its [T, T] block). Masked entries are written as exactly 0.
template <class T> __global__ void softmax_kernel(int64_t rows, int64_t cols, bool causal, const T* x, T* y) {
  const int64_t r = warp_row();
  if (r >= rows) return;  // the whole warp leaves together, so the shuffles below see all 32 lanes
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

// dx_j += y_j (dy_j - sum_k dy_k y_k); one warp per row.
template <class T> __global__ void softmax_backward_kernel(int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc) {
  const int64_t r = warp_row();
  if (r >= rows) return;
  const T* yr = y + r * cols;
  const T* dyr = dy + r * cols;
  T dot = 0;
  for (int64_t j = lane(); j < cols; j += kWarp) dot += dyr[j] * yr[j];
  dot = warp_sum(dot);
  T* dxr = dx_acc + r * cols;
  for (int64_t j = lane(); j < cols; j += kWarp) dxr[j] += yr[j] * (dyr[j] - dot);
}

// row_lse[r] = m + log sum_j exp(x_j - m); one warp per row.
template <class T> __global__ void row_lse_kernel(int64_t rows, int64_t cols, const T* logits, T* row_lse) {
  const int64_t r = warp_row();
  if (r >= rows) return;
  const T* xr = logits + r * cols;
  T m = neg_infinity<T>();
  for (int64_t j = lane(); j < cols; j += kWarp) m = max_(m, xr[j]);
  m = warp_max(m);
  T sum = 0;
  for (int64_t j = lane(); j < cols; j += kWarp) sum += exp_(xr[j] - m);
  sum = warp_sum(sum);
  if (lane() == 0) row_lse[r] = m + log_(sum);
}

// One block: thread t adds rows t, t + 256, ... of (row_lse[r] - x[r, target_r]) and counts the valid rows,
// in double; the block tree adds the threads; loss[0] = total / valid (0 when no row is valid).
template <class T>
__global__ void mean_nll_kernel(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,
                                const T* row_lse, T* loss) {
  double total = 0, valid = 0;
  for (int64_t r = threadIdx.x; r < rows; r += kReduceThreads) {
    const int32_t t = targets[r];
    if (t == ignore_index) continue;
    total += static_cast<double>(row_lse[r]) - static_cast<double>(logits[r * cols + t]);
    valid += 1;
  }
  total = block_sum(total);
  valid = block_sum(valid);
  if (threadIdx.x == 0) loss[0] = valid > 0 ? static_cast<T>(total / valid) : T(0);
}

// One block: the number of rows whose target is not ignore_index (exact in double up to 2^53 rows).
__global__ void count_valid_kernel(int64_t rows, const int32_t* targets, int32_t ignore_index, double* valid) {
  double count = 0;
  for (int64_t r = threadIdx.x; r < rows; r += kReduceThreads) count += targets[r] != ignore_index ? 1 : 0;
  count = block_sum(count);
  if (threadIdx.x == 0) valid[0] = count;
}

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
  if (rows > 0 && cols > 0) {
    row_lse_kernel<<<row_grid(rows), kBlock, 0, stream()>>>(rows, cols, logits, row_lse);
    BF_CUDA_CHECK_LAUNCH();
  }
  mean_nll_kernel<<<1, kReduceThreads, 0, stream()>>>(rows, cols, logits, targets, ignore_index, row_lse, loss);
  BF_CUDA_CHECK_LAUNCH();
}
template <class T>
void cross_entropy_backward(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,
                            const T* row_lse, const T* dloss, T* dlogits_acc) {
  if (rows <= 0 || cols <= 0) return;
  Storage valid(sizeof(double), Device::cuda);
  double* v = static_cast<double*>(valid.data());
  count_valid_kernel<<<1, kReduceThreads, 0, stream()>>>(rows, targets, ignore_index, v);
  BF_CUDA_CHECK_LAUNCH();
  BF_LAUNCH_1D(cross_entropy_backward_kernel<T>, rows * cols, cols, logits, targets, ignore_index, row_lse, dloss, v,
               dlogits_acc);
}

}  // namespace

template <class T>
void fill_softmax_kernels(Kernels<T>& k) {
  k.softmax = softmax<T>;
  k.softmax_backward = softmax_backward<T>;
  k.cross_entropy = cross_entropy<T>;
  k.cross_entropy_backward = cross_entropy_backward<T>;
}

}  // namespace bf::cuda

namespace bf {
BF_CUDA_FAMILY(fill_softmax_kernels)
}
