// Row-wise kernels: bias add, column sums (the bias gradient), sums over an axis and their broadcast.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// y[r,c] = x[r,c] + b[c]. Grid-stride over the rows*cols elements; element i is (i / cols, i % cols).
template <class T> __global__ void bias_add_kernel(int64_t n, int64_t cols, const T* x, const T* b, T* y) {
  BF_GRID_STRIDE(i, n) y[i] = x[i] + b[i % cols];
}

// out[o,i] = sum_l x[o,l,i]. Thread g of the grid-stride loop owns output (o, i) = (g / inner, g % inner)
// and adds the len inputs in increasing l (the CPU's order), so the sum is deterministic.
template <class T> __global__ void sum_axis_kernel(int64_t n, int64_t len, int64_t inner, const T* x, T* out) {
  BF_GRID_STRIDE(g, n) {
    const int64_t o = g / inner, i = g % inner;
    T acc = 0;
    for (int64_t l = 0; l < len; ++l) acc += x[(o * len + l) * inner + i];
    out[g] = acc;
  }
}

// dx[o,l,i] += scale * dy[o,i]. Grid-stride over the elements of dx.
template <class T>
__global__ void broadcast_axis_acc_kernel(int64_t n, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc) {
  BF_GRID_STRIDE(g, n) {
    const int64_t i = g % inner, o = g / (len * inner);
    dx_acc[g] += scale * dy[o * inner + i];
  }
}

template <class T> void bias_add(int64_t rows, int64_t cols, const T* x, const T* b, T* y) {
  BF_LAUNCH_1D(bias_add_kernel<T>, rows * cols, cols, x, b, y);
}

// out[c] += sum_r x[r,c]: column_sums_acc (fixed row chunks per column, then the chunks in order).
template <class T> struct Element {
  const T* x;
  int64_t cols;
  __device__ double operator()(int64_t r, int64_t c) const { return static_cast<double>(x[r * cols + c]); }
};
template <class T> void sum_rows_acc(int64_t rows, int64_t cols, const T* x, T* out_acc) {
  column_sums_acc(rows, cols, Element<T>{x, cols}, out_acc);
}

template <class T> void sum_axis(int64_t outer, int64_t len, int64_t inner, const T* x, T* out) {
  BF_LAUNCH_1D(sum_axis_kernel<T>, outer * inner, len, inner, x, out);
}
template <class T> void broadcast_axis_acc(int64_t outer, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc) {
  BF_LAUNCH_1D(broadcast_axis_acc_kernel<T>, outer * len * inner, len, inner, scale, dy, dx_acc);
}

}  // namespace

template <class T>
void fill_row_kernels(Kernels<T>& k) {
  k.bias_add = bias_add<T>;
  k.sum_rows_acc = sum_rows_acc<T>;
  k.sum_axis = sum_axis<T>;
  k.broadcast_axis_acc = broadcast_axis_acc<T>;
}

}  // namespace bf::cuda

namespace bf {
BF_CUDA_FAMILY(fill_row_kernels)
}
