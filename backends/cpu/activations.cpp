// Activation functions and their derivatives, forward and backward side by side.
#include <Eigen/Core>
#include <algorithm>
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

// Chunks of 4096 elements as Eigen arrays: Eigen's tanh is vectorised, std::tanh per element is not.
constexpr int64_t kChunk = 4096;
template <class T> using Vec = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using ConstVec = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

template <class T> void gelu(int64_t n, const T* x, T* y) {
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t len = std::min(kChunk, n - i0);
    ConstVec<T> v(x + i0, len);
    Vec<T>(y + i0, len) = T(0.5) * v * (T(1) + (T(kSqrt2OverPi) * (v + T(kGeluC) * v.cube())).tanh());
  }
}
template <class T> void gelu_backward(int64_t n, const T* x, const T* dy, T* dx_acc) {
#pragma omp parallel for schedule(static) if (n > kParallelGrain)
  for (int64_t i0 = 0; i0 < n; i0 += kChunk) {
    const int64_t len = std::min(kChunk, n - i0);
    ConstVec<T> v(x + i0, len), g(dy + i0, len);
    const Eigen::Array<T, Eigen::Dynamic, 1> t = (T(kSqrt2OverPi) * (v + T(kGeluC) * v.cube())).tanh();
    const auto du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * v.square());
    Vec<T>(dx_acc + i0, len) += g * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t.square()) * du);
  }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(activations)
