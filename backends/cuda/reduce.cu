// The reduce family: the bias add and its gradient (column sums), sums over an axis and their broadcast.
// The deterministic reduction primitives it builds on are in reduce.cuh.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// y[r,c] = x[r,c] + b[c]. Grid-stride over the rows*cols elements; element i is (i / cols, i % cols).
template <class T> __global__ void add_bias_kernel(int64_t n, int64_t cols, const T* x, const T* b, T* y) {
  BF_GRID_STRIDE(i, n) y[i] = x[i] + b[i % cols];
}

// out[o,i] = sum_l x[o,l,i], in two deterministic passes like column_sums_acc (reduce.cuh), with the
// outputs g = o * inner + i in place of columns: the len axis is cut into K fixed chunks (axis_chunks, a
// function of the sizes alone), thread g of chunk k adds x[o, l, i] over the l of chunk k in increasing
// order into partial[k, g] (in double), then out[g] = the K partials added in chunk order, rounded once.
// K > 1 only when the outputs alone give fewer than 2^16 threads: K = min(len / 32, 2^16 / outputs),
// between 1 and 64, so chunks hold at least 32 terms, outputs x K stays near 2^16 threads (and the scratch
// near 0.5 MB), and a sum over all elements (one output) spreads over 64 chunks instead of one thread.
// Neighbouring threads own neighbouring i, so the loads coalesce when inner > 1.
inline int axis_chunks(int64_t outputs, int64_t len) {
  const int64_t wanted = std::min(len / 32, ((int64_t(1) << 16) + outputs - 1) / outputs);
  return static_cast<int>(std::clamp<int64_t>(wanted, 1, 64));
}
template <class T>
__global__ void sum_axis_partials(int64_t outputs, int64_t len, int64_t inner, const T* x, double* partial) {
  const int64_t k = blockIdx.y, chunks = gridDim.y;
  const int64_t l0 = len * k / chunks, l1 = len * (k + 1) / chunks;
  BF_GRID_STRIDE(g, outputs) {
    const int64_t o = g / inner, i = g % inner;
    double acc = 0;
    for (int64_t l = l0; l < l1; ++l) acc += static_cast<double>(x[(o * len + l) * inner + i]);
    partial[k * outputs + g] = acc;
  }
}
template <class T> __global__ void sum_axis_finish(int64_t outputs, int chunks, const double* partial, T* out) {
  BF_GRID_STRIDE(g, outputs) {
    double acc = 0;
    for (int k = 0; k < chunks; ++k) acc += partial[k * outputs + g];
    out[g] = static_cast<T>(acc);
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

template <class T> void add_bias(int64_t rows, int64_t cols, const T* x, const T* b, T* y) {
  BF_LAUNCH_1D(add_bias_kernel<T>, rows * cols, cols, x, b, y);
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
  const int64_t outputs = outer * inner;
  if (outputs <= 0) return;
  const int chunks = axis_chunks(outputs, len);
  Storage partial(sizeof(double) * chunks * outputs, Device::cuda);
  double* p = static_cast<double*>(partial.data());
  sum_axis_partials<<<dim3(grid_for(outputs), chunks), kBlock, 0, stream()>>>(outputs, len, inner, x, p);
  BF_CUDA_CHECK_LAUNCH();
  BF_LAUNCH_1D(sum_axis_finish<T>, outputs, chunks, p, out);
}
template <class T> void broadcast_axis_acc(int64_t outer, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc) {
  BF_LAUNCH_1D(broadcast_axis_acc_kernel<T>, outer * len * inner, len, inner, scale, dy, dx_acc);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(reduce)
