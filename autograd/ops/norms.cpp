// LayerNorm and RMSNorm over the last axis. Forward saves the per-row statistics the backward needs.
#include "autograd/op_checks.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"
#include "backends/kernels.h"

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
  dispatch_float(x.dtype(), "layer_norm", [&]<class T>() {
    kernels<T>(x.device()).layer_norm(rows, cols, T(eps), x.data<T>(), weight.data<T>(), bias.data<T>(), y.data<T>(),
                                     mu.data<T>(), rstd.data<T>());
  });
  return record("layer_norm", {x, weight, bias}, y, [x, weight, bias, mu, rstd, rows, cols](const Tensor& g) {
    dispatch_float(g.dtype(), "layer_norm backward", [&]<class T>() {
      T* dx = x.requires_grad() ? grad_of(x).data<T>() : nullptr;
      T* dw = weight.requires_grad() ? grad_of(weight).data<T>() : nullptr;
      T* db = bias.requires_grad() ? grad_of(bias).data<T>() : nullptr;
      kernels<T>(g.device()).layer_norm_backward(rows, cols, x.data<T>(), weight.data<T>(), mu.data<T>(),
                                                rstd.data<T>(), g.data<T>(), dx, dw, db);
    });
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
  dispatch_float(x.dtype(), "rms_norm", [&]<class T>() {
    kernels<T>(x.device()).rms_norm(rows, cols, T(eps), x.data<T>(), weight.data<T>(), y.data<T>(), rms.data<T>());
  });
  return record("rms_norm", {x, weight}, y, [x, weight, rms, rows, cols, eps](const Tensor& g) {
    dispatch_float(g.dtype(), "rms_norm backward", [&]<class T>() {
      T* dx = x.requires_grad() ? grad_of(x).data<T>() : nullptr;
      T* dw = weight.requires_grad() ? grad_of(weight).data<T>() : nullptr;
      kernels<T>(g.device()).rms_norm_backward(rows, cols, T(eps), x.data<T>(), weight.data<T>(), rms.data<T>(),
                                              g.data<T>(), dx, dw);
    });
  }, {5.0 * x.numel(), static_cast<int64_t>(rms.nbytes())});
}

}  // namespace bf
