// Activation functions and their derivatives (the math is in backends/cpu/activations.cpp and
// docs/ops.md). Thread mapping: a grid-stride loop, one element per thread per pass.
#include "backends/cuda/device.cuh"

namespace bf::cuda {
namespace {

constexpr double kGeluC = 0.044715;
constexpr double kSqrt2OverPi = 0.79788456080286535587989211986876;  // sqrt(2/pi) (the .cu files are C++17)

// relu: y = max(x, 0);  dy/dx = 1[x > 0]
template <class T> __global__ void relu_kernel(int64_t n, const T* x, T* y) {
  BF_GRID_STRIDE(i, n) y[i] = x[i] > T(0) ? x[i] : T(0);
}
template <class T> __global__ void relu_backward_kernel(int64_t n, const T* x, const T* dy, T* dx_acc) {
  BF_GRID_STRIDE(i, n) dx_acc[i] += x[i] > T(0) ? dy[i] : T(0);
}
// leaky_relu: y = x if x > 0 else slope x
template <class T> __global__ void leaky_relu_kernel(int64_t n, T slope, const T* x, T* y) {
  BF_GRID_STRIDE(i, n) y[i] = x[i] > T(0) ? x[i] : slope * x[i];
}
template <class T> __global__ void leaky_relu_backward_kernel(int64_t n, T slope, const T* x, const T* dy, T* dx_acc) {
  BF_GRID_STRIDE(i, n) dx_acc[i] += x[i] > T(0) ? dy[i] : slope * dy[i];
}
// gelu (tanh form): y = x/2 (1 + tanh u),  u = sqrt(2/pi) (x + 0.044715 x^3)
//   dy/dx = (1 + tanh u)/2 + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
template <class T> __global__ void gelu_kernel(int64_t n, const T* x, T* y) {
  BF_GRID_STRIDE(i, n) {
    const T v = x[i];
    y[i] = T(0.5) * v * (T(1) + tanh_(T(kSqrt2OverPi) * (v + T(kGeluC) * v * v * v)));
  }
}
template <class T> __global__ void gelu_backward_kernel(int64_t n, const T* x, const T* dy, T* dx_acc) {
  BF_GRID_STRIDE(i, n) {
    const T v = x[i];
    const T t = tanh_(T(kSqrt2OverPi) * (v + T(kGeluC) * v * v * v));
    const T du = T(kSqrt2OverPi) * (T(1) + T(3 * kGeluC) * v * v);
    dx_acc[i] += dy[i] * (T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * du);
  }
}

template <class T> void relu(int64_t n, const T* x, T* y) {
  BF_LAUNCH_1D(relu_kernel<T>, n, x, y);
}
template <class T> void relu_backward(int64_t n, const T* x, const T* dy, T* dx_acc) {
  BF_LAUNCH_1D(relu_backward_kernel<T>, n, x, dy, dx_acc);
}
template <class T> void leaky_relu(int64_t n, T slope, const T* x, T* y) {
  BF_LAUNCH_1D(leaky_relu_kernel<T>, n, slope, x, y);
}
template <class T> void leaky_relu_backward(int64_t n, T slope, const T* x, const T* dy, T* dx_acc) {
  BF_LAUNCH_1D(leaky_relu_backward_kernel<T>, n, slope, x, dy, dx_acc);
}
template <class T> void gelu(int64_t n, const T* x, T* y) {
  BF_LAUNCH_1D(gelu_kernel<T>, n, x, y);
}
template <class T> void gelu_backward(int64_t n, const T* x, const T* dy, T* dx_acc) {
  BF_LAUNCH_1D(gelu_backward_kernel<T>, n, x, dy, dx_acc);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(activations)
