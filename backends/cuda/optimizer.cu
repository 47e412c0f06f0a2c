// Fused optimiser updates (each parameter read and written once per step) and the squared gradient norm.
// Thread mapping: grid-stride, one parameter element per thread per pass.
#include <cmath>

#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// out[0] += sum_i x_i^2 in double: deterministic_sum's fixed slices and tree (reduce.cuh), so the global
// gradient norm, and so clipping, is the same on every run.
template <class T> struct Square {
  const T* x;
  __device__ double operator()(int64_t i) const { return static_cast<double>(x[i]) * static_cast<double>(x[i]); }
};
template <class T> void sum_squares_acc(int64_t n, const T* x, double* out_acc) {
  if (n <= 0) return;
  deterministic_sum(n, Square<T>{x}, AddTotalTo<double>{out_acc});
}

// p -= lr wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),
// with g scaled by grad_scale first. step_size = lr / bc1, sqrt_bc2 and decay = 1 - lr wd come from the host
// (computed in T exactly as the CPU kernel does).
template <class T>
__global__ void adamw_kernel(int64_t n, T* p, const T* g, T* m, T* v, T grad_scale, T beta1, T beta2, T eps,
                             T step_size, T sqrt_bc2, T decay) {
  BF_GRID_STRIDE(i, n) {
    const T gi = g[i] * grad_scale;
    T pi = p[i] * decay;
    const T mi = beta1 * m[i] + (T(1) - beta1) * gi;
    const T vi = beta2 * v[i] + (T(1) - beta2) * gi * gi;
    pi -= step_size * mi / (sqrt_(vi) / sqrt_bc2 + eps);
    p[i] = pi, m[i] = mi, v[i] = vi;
  }
}

// p -= lr wd p;  buf = mu buf + g;  p -= lr buf
template <class T>
__global__ void sgd_kernel(int64_t n, T* p, const T* g, T* buf, T grad_scale, T lr, T momentum, T decay) {
  BF_GRID_STRIDE(i, n) {
    const T b = momentum * buf[i] + g[i] * grad_scale;
    p[i] = p[i] * decay - lr * b;
    buf[i] = b;
  }
}

template <class T>
void adamw_update(int64_t n, T* p, const T* g, T* m, T* v, T grad_scale, T lr, T beta1, T beta2, T eps, T weight_decay,
                  T bias_correction1, T bias_correction2) {
  const T step_size = lr / bias_correction1;
  const T sqrt_bc2 = std::sqrt(bias_correction2);
  const T decay = T(1) - lr * weight_decay;
  BF_LAUNCH_1D(adamw_kernel<T>, n, p, g, m, v, grad_scale, beta1, beta2, eps, step_size, sqrt_bc2, decay);
}

template <class T>
void sgd_update(int64_t n, T* p, const T* g, T* buf, T grad_scale, T lr, T momentum, T weight_decay) {
  const T decay = T(1) - lr * weight_decay;
  BF_LAUNCH_1D(sgd_kernel<T>, n, p, g, buf, grad_scale, lr, momentum, decay);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(optimizer)
