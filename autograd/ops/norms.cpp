// LayerNorm and RMSNorm over the last axis. Forward saves the per-row statistics the backward needs.
#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(norms)
namespace {

void check_norm_param(const char* op, const Tensor& x, const Tensor& p, const char* what) {
  check_defined(op, p, what);
  check_compatible(op, x, p);
  BF_CHECK(p.ndim() == 1 && x.ndim() >= 1 && p.size(0) == x.size(-1), op, ": ", what, " ", p.shape(),
           " does not match the last axis of input ", x.shape());
}

}  // namespace

BF_OP(layer_norm, norms, "y = xhat w + b, xhat = (x - mu) rstd",
      "dx = rstd (g - mean(g) - xhat mean(g xhat)), dw = sum_r dy xhat, db = sum_r dy, g = dy w",
      "x, w (mu, rstd [rows])", "norms")
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  check_norm_param("layer_norm", x, weight, "weight");
  check_norm_param("layer_norm", x, bias, "bias");
  const int64_t rows = x.shape().rows(), cols = x.shape().last();
  Tensor y = Tensor::empty_like(x);
  Tensor mu = Tensor::empty(Shape{rows}, x.dtype(), x.device());
  Tensor rstd = Tensor::empty(Shape{rows}, x.dtype(), x.device());
  run_kernels(x, "layer_norm", [&]<class T>(const Kernels<T>& k) {
    k.layer_norm(rows, cols, T(eps), x.data<T>(), weight.data<T>(), bias.data<T>(), y.data<T>(), mu.data<T>(),
                 rstd.data<T>());
  });
  return record_kernels("layer_norm", {x, weight, bias}, y,
                        [x, weight, bias, mu, rstd, rows, cols]<class T>(const Kernels<T>& k, const T* dy) {
    T* dx = grad_data_if_needed<T>(x);
    T* dw = grad_data_if_needed<T>(weight);
    T* db = grad_data_if_needed<T>(bias);
    k.layer_norm_backward(rows, cols, x.data<T>(), weight.data<T>(), mu.data<T>(), rstd.data<T>(), dy, dx, dw, db);
  }, {8.0 * x.numel(), static_cast<int64_t>(mu.nbytes() + rstd.nbytes())});
}

// rms = sqrt(mean x^2): eps outside the square root, as the paper.
BF_OP(rms_norm, norms, "y = x s w, s = 1/(rms + eps)", "dx = s g - x s^2 (g . x) / (n rms), dw = sum_r dy x s, g = dy w",
      "x, w (rms [rows])", "norms")
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps) {
  check_norm_param("rms_norm", x, weight, "weight");
  const int64_t rows = x.shape().rows(), cols = x.shape().last();
  Tensor y = Tensor::empty_like(x);
  Tensor rms = Tensor::empty(Shape{rows}, x.dtype(), x.device());
  run_kernels(x, "rms_norm", [&]<class T>(const Kernels<T>& k) {
    k.rms_norm(rows, cols, T(eps), x.data<T>(), weight.data<T>(), y.data<T>(), rms.data<T>());
  });
  return record_kernels("rms_norm", {x, weight}, y,
                        [x, weight, rms, rows, cols, eps]<class T>(const Kernels<T>& k, const T* dy) {
    T* dx = grad_data_if_needed<T>(x);
    T* dw = grad_data_if_needed<T>(weight);
    k.rms_norm_backward(rows, cols, T(eps), x.data<T>(), weight.data<T>(), rms.data<T>(), dy, dx, dw);
  }, {5.0 * x.numel(), static_cast<int64_t>(rms.nbytes())});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"layer_norm", "layer_norm", "[2,3,6] w[6] b[6]",
     [](Rng& r, Device d) {
       return GradcheckInputs{param({2, 3, 6}, r, d, -2, 2), param({6}, r, d, 0.5, 1.5), param({6}, r, d)};
     },
     [](In x) { return layer_norm(x[0], x[1], x[2], 1e-5); }},
    {"rms_norm", "rms_norm", "[2,3,6] w[6]",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 3, 6}, r, d, -2, 2), param({6}, r, d, 0.5, 1.5)}; },
     [](In x) { return rms_norm(x[0], x[1], 1e-5); }},
});

}  // namespace

}  // namespace bf
