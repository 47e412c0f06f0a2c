// Softmax over the last axis (optionally causal) and the fused log-softmax + cross-entropy.
#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// Rows as Eigen arrays: Eigen's exp is vectorised (std::exp in a loop is not, without -ffast-math),
// and its reductions run in a fixed order for a given build.
template <class T> using Row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using ConstRow = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// y_j = exp(x_j - m) / sum_k exp(x_k - m), m = max_k x_k, over the unmasked entries k <= i when causal.
template <class T> void softmax(int64_t rows, int64_t cols, bool causal, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * cols;
    T* yr = y + r * cols;
    const int64_t visible = causal ? (r % cols) + 1 : cols;  // row i of a [T, T] block sees j <= i
    ConstRow<T> xv(xr, visible);
    Row<T> yv(yr, visible);
    const T m = xv.maxCoeff();
    yv = (xv - m).exp();
    yv *= T(1) / yv.sum();
    for (int64_t j = visible; j < cols; ++j) yr[j] = T(0);
  }
}

// dx_j += y_j (dy_j - sum_k dy_k y_k)   (masked entries have y = 0, so they get 0)
template <class T> void softmax_backward(int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    const T* yr = y + r * cols;
    const T* dyr = dy + r * cols;
    T dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < cols; ++j) dot += dyr[j] * yr[j];
    T* dxr = dx_acc + r * cols;
    for (int64_t j = 0; j < cols; ++j) dxr[j] += yr[j] * (dyr[j] - dot);
  }
}

// row_lse[r] = log sum_j exp(x_j) computed as m + log sum_j exp(x_j - m).
// loss = (1/n_valid) sum_{valid r} (row_lse[r] - x[r, target_r]); the sum runs in row order, in double.
template <class T>
void cross_entropy(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,
                   T* row_lse, T* loss) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    ConstRow<T> xv(logits + r * cols, cols);
    const T m = xv.maxCoeff();
    row_lse[r] = m + std::log((xv - m).exp().sum());
  }
  double total = 0;
  int64_t valid = 0;
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ignore_index) continue;
    total += static_cast<double>(row_lse[r]) - static_cast<double>(logits[r * cols + targets[r]]);
    ++valid;
  }
  loss[0] = valid ? static_cast<T>(total / static_cast<double>(valid)) : T(0);
}

// dlogits[r,j] += (dloss / n_valid) (exp(x_j - lse_r) - 1[j == target_r]) for valid rows.
template <class T>
void cross_entropy_backward(int64_t rows, int64_t cols, const T* logits, const int32_t* targets,
                            int32_t ignore_index, const T* row_lse, const T* dloss, T* dlogits_acc) {
  const int64_t valid = std::count_if(targets, targets + rows, [&](int32_t t) { return t != ignore_index; });
  if (valid == 0) return;
  const T scale = dloss[0] / static_cast<T>(valid);
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r) {
    if (targets[r] == ignore_index) continue;
    Row<T> dv(dlogits_acc + r * cols, cols);
    dv += scale * (ConstRow<T>(logits + r * cols, cols) - row_lse[r]).exp();
    dv[targets[r]] -= scale;
  }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(softmax)
