// Elementwise ops. Each backward accumulates into the input gradients (a tensor used twice gets both).
#include "autograd/op_checks.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"
#include "backends/kernels.h"

namespace bf {

BF_OP_FILE(elementwise)

BF_OP(add, elementwise, "c = a + b", "da = dc, db = dc", "-", "elementwise")
Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", a, b);
  Tensor c = Tensor::empty_like(a);
  dispatch_float(a.dtype(), "add", [&]<class T>() {
    kernels<T>(a.device()).add(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record("add", {a, b}, c, [a, b](const Tensor& g) {
    dispatch_float(g.dtype(), "add backward", [&]<class T>() {
      const auto& k = kernels<T>(g.device());
      if (a.requires_grad()) k.axpy(g.numel(), T(1), g.data<T>(), grad_of(a).data<T>());
      if (b.requires_grad()) k.axpy(g.numel(), T(1), g.data<T>(), grad_of(b).data<T>());
    });
  }, {double(a.numel()), 0});
}

BF_OP(sub, elementwise, "c = a - b", "da = dc, db = -dc", "-", "elementwise")
Tensor sub(const Tensor& a, const Tensor& b) {
  check_same_shape("sub", a, b);
  Tensor c = Tensor::empty_like(a);
  dispatch_float(a.dtype(), "sub", [&]<class T>() {
    kernels<T>(a.device()).sub(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record("sub", {a, b}, c, [a, b](const Tensor& g) {
    dispatch_float(g.dtype(), "sub backward", [&]<class T>() {
      const auto& k = kernels<T>(g.device());
      if (a.requires_grad()) k.axpy(g.numel(), T(1), g.data<T>(), grad_of(a).data<T>());
      if (b.requires_grad()) k.axpy(g.numel(), T(-1), g.data<T>(), grad_of(b).data<T>());
    });
  }, {double(a.numel()), 0});
}

BF_OP(mul, elementwise, "c = a * b", "da = dc b, db = dc a", "a, b", "elementwise")
Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", a, b);
  Tensor c = Tensor::empty_like(a);
  dispatch_float(a.dtype(), "mul", [&]<class T>() {
    kernels<T>(a.device()).mul(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record("mul", {a, b}, c, [a, b](const Tensor& g) {
    dispatch_float(g.dtype(), "mul backward", [&]<class T>() {
      const auto& k = kernels<T>(g.device());
      if (a.requires_grad()) k.mul_acc(g.numel(), g.data<T>(), b.data<T>(), grad_of(a).data<T>());
      if (b.requires_grad()) k.mul_acc(g.numel(), g.data<T>(), a.data<T>(), grad_of(b).data<T>());
    });
  }, {double(a.numel()), 0});
}

BF_OP(scale, elementwise, "y = alpha x (alpha a constant)", "dx = alpha dy", "-", "elementwise")
Tensor scale(const Tensor& x, double alpha) {
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "scale", [&]<class T>() {
    kernels<T>(x.device()).scale(x.numel(), T(alpha), x.data<T>(), y.data<T>());
  });
  return record("scale", {x}, y, [x, alpha](const Tensor& g) {
    dispatch_float(g.dtype(), "scale backward", [&]<class T>() {
      kernels<T>(g.device()).axpy(g.numel(), T(alpha), g.data<T>(), grad_of(x).data<T>());
    });
  }, {double(x.numel()), 0});
}

BF_OP(scale_by, elementwise, "y = g x (g one element)", "dx = g dy, dg = sum_i dy_i x_i", "x, g", "elementwise")
Tensor scale_by(const Tensor& x, const Tensor& gain) {
  check_compatible("scale_by", x, gain);
  BF_CHECK(gain.numel() == 1, "scale_by: the gain must have one element, got ", gain.shape(), " for input ", x.shape());
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "scale_by", [&]<class T>() {
    kernels<T>(x.device()).scale_by(x.numel(), gain.data<T>(), x.data<T>(), y.data<T>());
  });
  return record("scale_by", {x, gain}, y, [x, gain](const Tensor& g) {
    dispatch_float(g.dtype(), "scale_by backward", [&]<class T>() {
      const auto& k = kernels<T>(g.device());
      if (x.requires_grad()) k.scale_by_acc(g.numel(), gain.data<T>(), g.data<T>(), grad_of(x).data<T>());
      if (gain.requires_grad()) k.dot_acc(g.numel(), g.data<T>(), x.data<T>(), grad_of(gain).data<T>());
    });
  }, {double(x.numel()), 0});
}

BF_OP(add_bias, elementwise, "y[r, c] = x[r, c] + b[c]", "dx = dy, db[c] = sum_r dy[r, c]", "-", "elementwise reduce")
Tensor add_bias(const Tensor& x, const Tensor& bias) {
  check_compatible("add_bias", x, bias);
  BF_CHECK(bias.ndim() == 1 && x.ndim() >= 1 && bias.size(0) == x.size(-1), "add_bias: bias ", bias.shape(),
           " does not match the last axis of ", x.shape());
  const int64_t rows = x.shape().rows(), cols = x.shape().last();
  Tensor y = Tensor::empty_like(x);
  dispatch_float(x.dtype(), "add_bias", [&]<class T>() {
    kernels<T>(x.device()).add_bias(rows, cols, x.data<T>(), bias.data<T>(), y.data<T>());
  });
  return record("add_bias", {x, bias}, y, [x, bias, rows, cols](const Tensor& g) {
    dispatch_float(g.dtype(), "add_bias backward", [&]<class T>() {
      const auto& k = kernels<T>(g.device());
      if (x.requires_grad()) k.axpy(g.numel(), T(1), g.data<T>(), grad_of(x).data<T>());
      if (bias.requires_grad()) k.sum_rows_acc(rows, cols, g.data<T>(), grad_of(bias).data<T>());
    });
  }, {double(x.numel()), 0});
}

}  // namespace bf
