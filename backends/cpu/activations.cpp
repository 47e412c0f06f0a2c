// Activation functions and their derivatives, forward and backward side by side.
#include <cmath>
#include <numbers>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// relu: y = max(x, 0);  dy/dx = 1[x > 0] (0 at x = 0, as PyTorch)
template <class T> void relu(int64_t n, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T> void relu_backward(int64_t n, const T* x, const T* dy, T* dx_acc) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) dx_acc[i] += x[i] > T(0) ? dy[i] : T(0);
}

// leaky_relu: y = x if x > 0 else slope * x;  dy/dx = 1 or slope
template <class T> void leaky_relu(int64_t n, T slope, const T* x, T* y) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}
template <class T> void leaky_relu_backward(int64_t n, T slope, const T* x, const T* dy, T* dx_acc) {
#pragma omp parallel for simd schedule(static) if (n > kParallelGrain)
  for (int64_t i = 0; i < n; ++i) dx_acc[i] += x[i] > T(0) ? dy[i] : slope * dy[i];
}

// gelu (tanh form): y = x/2 (1 + tanh u),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
constexpr double kGeluC = 0.044715;
constexpr double kSqrt2OverPi = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;  // sqrt(2/pi)
template <class T> T gelu_u(T x) { return T(kSqrt2OverPi) * (x + T(kGeluC) * x * x * x); }

template <class T> void gelu(int64_t n, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (n > kParallelGrain / 4)
  for (int64_t i = 0; i < n; ++i) y[i] = T(0.5) * x[i] * (T(1) + std::tanh(gelu_u(x[i])));
}
template <class T> void gelu_backward(int64_t n, const T* x, const T* dy, T* dx_acc) {
#pragma omp parallel for schedule(static) if (n > kParallelGrain / 4)
  for (int64_t i = 0; i < n; ++i) {
    const T v = x[i], t = std::tanh(gelu_u(v));
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * v * v);
    dx_acc[i] += dy[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
  }
}

}  // namespace

template <class T>
void fill_activation_kernels(Kernels<T>& k) {
  k.relu = relu<T>;
  k.relu_backward = relu_backward<T>;
  k.leaky_relu = leaky_relu<T>;
  k.leaky_relu_backward = leaky_relu_backward<T>;
  k.gelu = gelu<T>;
  k.gelu_backward = gelu_backward<T>;
}

}  // namespace bf::cpu

namespace bf {
BF_CPU_FAMILY(fill_activation_kernels)
}
