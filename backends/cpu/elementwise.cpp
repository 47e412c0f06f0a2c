// Elementwise kernels: plain loops the compiler vectorises, split over the OpenMP pool when long.
#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

template <class T> void add(int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] + b[i];
}
template <class T> void sub(int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] - b[i];
}
template <class T> void mul(int64_t n, const T* a, const T* b, T* out) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
template <class T> void scale(int64_t n, T alpha, const T* x, T* out) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out[i] = alpha * x[i];
}
template <class T> void axpy(int64_t n, T alpha, const T* x, T* y_acc) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) y_acc[i] += alpha * x[i];
}
template <class T> void mul_acc(int64_t n, const T* a, const T* b, T* out_acc) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out_acc[i] += a[i] * b[i];
}
template <class T> void scale_by(int64_t n, const T* g, const T* x, T* out) { scale(n, g[0], x, out); }
template <class T> void scale_by_acc(int64_t n, const T* g, const T* x, T* out_acc) { axpy(n, g[0], x, out_acc); }

// Sequential on purpose: a fixed summation order makes the result independent of the thread count,
// which resume-is-bitwise-exact relies on. Accumulates in double for f32 too.
template <class T> void dot_acc(int64_t n, const T* a, const T* b, T* out_acc) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
  out_acc[0] += static_cast<T>(sum);
}
template <class T> void fill(int64_t n, T value, T* out) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) out[i] = value;
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(elementwise)
