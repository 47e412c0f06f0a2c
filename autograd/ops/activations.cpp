// Activations: y = f(x) elementwise, dx = f'(x) dy. The kernels (backends/cpu/activations.cpp) carry f'.
#include "autograd/op_registry.h"
#include "autograd/ops.h"
#include "backends/kernels.h"

namespace bf {

BF_OP_FILE(activations)

BF_OP(relu, activations, "y = max(x, 0)", "dx = dy 1[x > 0]", "x", "activations")
Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "relu", [&]<class T>() { kernels<T>(x.device()).relu(x.numel(), x.data<T>(), y.data<T>()); });
  return record("relu", {x}, y, [x](const Tensor& g) {
    dispatch_float(g.dtype(), "relu backward", [&]<class T>() {
      kernels<T>(g.device()).relu_backward(g.numel(), x.data<T>(), g.data<T>(), grad_of(x).data<T>());
    });
  }, {double(x.numel()), 0});
}

BF_OP(leaky_relu, activations, "y = x > 0 ? x : slope x", "dx = dy (x > 0 ? 1 : slope)", "x", "activations")
Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "leaky_relu", [&]<class T>() {
    kernels<T>(x.device()).leaky_relu(x.numel(), T(slope), x.data<T>(), y.data<T>());
  });
  return record("leaky_relu", {x}, y, [x, slope](const Tensor& g) {
    dispatch_float(g.dtype(), "leaky_relu backward", [&]<class T>() {
      kernels<T>(g.device()).leaky_relu_backward(g.numel(), T(slope), x.data<T>(), g.data<T>(), grad_of(x).data<T>());
    });
  }, {double(x.numel()), 0});
}

// The tanh form: t = tanh u, u = sqrt(2/pi)(x + 0.044715 x^3), u' = sqrt(2/pi)(1 + 0.134145 x^2).
BF_OP(gelu, activations, "y = x/2 (1 + t)", "dx = dy [(1 + t)/2 + x/2 (1 - t^2) u']", "x", "activations")
Tensor gelu(const Tensor& x) {
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "gelu", [&]<class T>() { kernels<T>(x.device()).gelu(x.numel(), x.data<T>(), y.data<T>()); });
  return record("gelu", {x}, y, [x](const Tensor& g) {
    dispatch_float(g.dtype(), "gelu backward", [&]<class T>() {
      kernels<T>(g.device()).gelu_backward(g.numel(), x.data<T>(), g.data<T>(), grad_of(x).data<T>());
    });
  }, {8.0 * x.numel(), 0});
}

}  // namespace bf
