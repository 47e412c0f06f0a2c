// Elementwise kernels. Thread mapping: a grid-stride loop, thread g taking elements g, g + G, ... (G the
// grid's thread count), so consecutive threads touch consecutive elements (coalesced). dot_acc is a
// deterministic two-stage sum (reduce.cuh), accumulated in double like the CPU's.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

template <class T> __global__ void add_kernel(int64_t n, const T* a, const T* b, T* out) {
  BF_GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}
template <class T> __global__ void sub_kernel(int64_t n, const T* a, const T* b, T* out) {
  BF_GRID_STRIDE(i, n) out[i] = a[i] - b[i];
}
template <class T> __global__ void mul_kernel(int64_t n, const T* a, const T* b, T* out) {
  BF_GRID_STRIDE(i, n) out[i] = a[i] * b[i];
}
template <class T> __global__ void scale_kernel(int64_t n, T alpha, const T* x, T* out) {
  BF_GRID_STRIDE(i, n) out[i] = alpha * x[i];
}
template <class T> __global__ void axpy_kernel(int64_t n, T alpha, const T* x, T* y_acc) {
  BF_GRID_STRIDE(i, n) y_acc[i] += alpha * x[i];
}
template <class T> __global__ void mul_acc_kernel(int64_t n, const T* a, const T* b, T* out_acc) {
  BF_GRID_STRIDE(i, n) out_acc[i] += a[i] * b[i];
}
// The gain g[0] lives on the device: every thread reads it (one cached load per warp).
template <class T> __global__ void scale_by_kernel(int64_t n, const T* g, const T* x, T* out) {
  const T gain = g[0];
  BF_GRID_STRIDE(i, n) out[i] = gain * x[i];
}
template <class T> __global__ void scale_by_acc_kernel(int64_t n, const T* g, const T* x, T* out_acc) {
  const T gain = g[0];
  BF_GRID_STRIDE(i, n) out_acc[i] += gain * x[i];
}
template <class T> __global__ void fill_kernel(int64_t n, T value, T* out) {
  BF_GRID_STRIDE(i, n) out[i] = value;
}

template <class T> void add(int64_t n, const T* a, const T* b, T* out) {
  BF_LAUNCH_1D(add_kernel<T>, n, a, b, out);
}
template <class T> void sub(int64_t n, const T* a, const T* b, T* out) {
  BF_LAUNCH_1D(sub_kernel<T>, n, a, b, out);
}
template <class T> void mul(int64_t n, const T* a, const T* b, T* out) {
  BF_LAUNCH_1D(mul_kernel<T>, n, a, b, out);
}
template <class T> void scale(int64_t n, T alpha, const T* x, T* out) {
  BF_LAUNCH_1D(scale_kernel<T>, n, alpha, x, out);
}
template <class T> void axpy(int64_t n, T alpha, const T* x, T* y_acc) {
  BF_LAUNCH_1D(axpy_kernel<T>, n, alpha, x, y_acc);
}
template <class T> void mul_acc(int64_t n, const T* a, const T* b, T* out_acc) {
  BF_LAUNCH_1D(mul_acc_kernel<T>, n, a, b, out_acc);
}
template <class T> void scale_by(int64_t n, const T* g, const T* x, T* out) {
  BF_LAUNCH_1D(scale_by_kernel<T>, n, g, x, out);
}
template <class T> void scale_by_acc(int64_t n, const T* g, const T* x, T* out_acc) {
  BF_LAUNCH_1D(scale_by_acc_kernel<T>, n, g, x, out_acc);
}
template <class T> void fill(int64_t n, T value, T* out) {
  BF_LAUNCH_1D(fill_kernel<T>, n, value, out);
}

// out[0] += sum_i a_i b_i: the products in double, summed by deterministic_sum's fixed tree.
template <class T> struct DotTerm {
  const T* a;
  const T* b;
  __device__ double operator()(int64_t i) const { return static_cast<double>(a[i]) * static_cast<double>(b[i]); }
};
template <class T> void dot_acc(int64_t n, const T* a, const T* b, T* out_acc) {
  if (n <= 0) return;
  deterministic_sum(n, DotTerm<T>{a, b}, AddTotalTo<T>{out_acc});
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(elementwise)
