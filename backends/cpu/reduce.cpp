// The reduce family: the bias add and its gradient (column sums), sums over an axis and their broadcast.
#include <vector>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// y[r,c] = x[r,c] + b[c]
template <class T> void add_bias(int64_t rows, int64_t cols, const T* x, const T* b, T* y) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain)
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) y[r * cols + c] = x[r * cols + c] + b[c];
}

// out[c] += sum_r x[r,c]. Rows are summed in index order (deterministic); columns are split over threads.
template <class T> void sum_rows_acc(int64_t rows, int64_t cols, const T* x, T* out_acc) {
#pragma omp parallel for schedule(static) if (rows * cols > kParallelGrain && cols >= 64)
  for (int64_t c0 = 0; c0 < cols; c0 += 64) {
    const int64_t c1 = c0 + 64 < cols ? c0 + 64 : cols;
    T partial[64] = {};
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = c0; c < c1; ++c) partial[c - c0] += x[r * cols + c];
    for (int64_t c = c0; c < c1; ++c) out_acc[c] += partial[c - c0];
  }
}

// out[o,i] = sum_l x[o,l,i]
template <class T> void sum_axis(int64_t outer, int64_t len, int64_t inner, const T* x, T* out) {
#pragma omp parallel for schedule(static) if (outer * len * inner > kParallelGrain)
  for (int64_t o = 0; o < outer; ++o) {
    T* dst = out + o * inner;
    for (int64_t i = 0; i < inner; ++i) dst[i] = T(0);
    for (int64_t l = 0; l < len; ++l) {
      const T* src = x + (o * len + l) * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] += src[i];
    }
  }
}

// dx[o,l,i] += scale * dy[o,i]
template <class T> void broadcast_axis_acc(int64_t outer, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc) {
#pragma omp parallel for schedule(static) if (outer * len * inner > kParallelGrain)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t l = 0; l < len; ++l) {
      T* dst = dx_acc + (o * len + l) * inner;
      const T* src = dy + o * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] += scale * src[i];
    }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(reduce)
