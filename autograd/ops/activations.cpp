// Activations: y = f(x) elementwise, dx = f'(x) dy. The kernels (backends/cpu/activations.cpp) carry f'.
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(activations)

BF_OP(relu, activations, "y = max(x, 0)", "dx = dy 1[x > 0]", "x", "activations")
Tensor relu(const Tensor& x) {
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "relu", [&]<class T>(const Kernels<T>& k) { k.relu(x.numel(), x.data<T>(), y.data<T>()); });
  return record_kernels("relu", {x}, y, [x]<class T>(const Kernels<T>& k, const T* dy) {
    k.relu_backward(x.numel(), x.data<T>(), dy, grad_data<T>(x));
  }, {double(x.numel()), 0});
}

BF_OP(leaky_relu, activations, "y = x > 0 ? x : slope x", "dx = dy (x > 0 ? 1 : slope)", "x", "activations")
Tensor leaky_relu(const Tensor& x, double slope) {
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "leaky_relu", [&]<class T>(const Kernels<T>& k) {
    k.leaky_relu(x.numel(), T(slope), x.data<T>(), y.data<T>());
  });
  return record_kernels("leaky_relu", {x}, y, [x, slope]<class T>(const Kernels<T>& k, const T* dy) {
    k.leaky_relu_backward(x.numel(), T(slope), x.data<T>(), dy, grad_data<T>(x));
  }, {double(x.numel()), 0});
}

// The tanh form: t = tanh u, u = sqrt(2/pi)(x + 0.044715 x^3), u' = sqrt(2/pi)(1 + 0.134145 x^2).
BF_OP(gelu, activations, "y = x/2 (1 + t)", "dx = dy [(1 + t)/2 + x/2 (1 - t^2) u']", "x", "activations")
Tensor gelu(const Tensor& x) {
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "gelu", [&]<class T>(const Kernels<T>& k) { k.gelu(x.numel(), x.data<T>(), y.data<T>()); });
  return record_kernels("gelu", {x}, y, [x]<class T>(const Kernels<T>& k, const T* dy) {
    k.gelu_backward(x.numel(), x.data<T>(), dy, grad_data<T>(x));
  }, {8.0 * x.numel(), 0});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
// Inputs kept away from the kink at 0.
GradcheckInputs kinked(Rng& r, Device d) { return {away_from_zero({3, 5}, r, d)}; }

[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"relu", "relu", "[3,5], |x| >= 0.1", kinked, [](In x) { return relu(x[0]); }},
    {"leaky_relu", "leaky_relu", "[3,5], |x| >= 0.1, slope 0.2", kinked, [](In x) { return leaky_relu(x[0], 0.2); }},
    {"gelu", "gelu", "[3,5]", [](Rng& r, Device d) { return GradcheckInputs{param({3, 5}, r, d, -3, 3)}; },
     [](In x) { return gelu(x[0]); }},
});

}  // namespace

}  // namespace bf
