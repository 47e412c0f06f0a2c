// Elementwise ops. Each backward accumulates into the input gradients (a tensor used twice gets both).
#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(elementwise)

BF_OP(add, elementwise, "c = a + b", "da = dc, db = dc", "-", "elementwise")
Tensor add(const Tensor& a, const Tensor& b) {
  check_same_shape("add", a, b);
  Tensor c = Tensor::empty_like(a);
  run_kernels(a, "add", [&]<class T>(const Kernels<T>& k) {
    k.add(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record_kernels("add", {a, b}, c, [a, b]<class T>(const Kernels<T>& k, const T* dy) {
    if (a.requires_grad()) k.axpy(a.numel(), T(1), dy, grad_data<T>(a));
    if (b.requires_grad()) k.axpy(a.numel(), T(1), dy, grad_data<T>(b));
  }, {double(a.numel()), 0});
}

BF_OP(sub, elementwise, "c = a - b", "da = dc, db = -dc", "-", "elementwise")
Tensor sub(const Tensor& a, const Tensor& b) {
  check_same_shape("sub", a, b);
  Tensor c = Tensor::empty_like(a);
  run_kernels(a, "sub", [&]<class T>(const Kernels<T>& k) {
    k.sub(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record_kernels("sub", {a, b}, c, [a, b]<class T>(const Kernels<T>& k, const T* dy) {
    if (a.requires_grad()) k.axpy(a.numel(), T(1), dy, grad_data<T>(a));
    if (b.requires_grad()) k.axpy(a.numel(), T(-1), dy, grad_data<T>(b));
  }, {double(a.numel()), 0});
}

BF_OP(mul, elementwise, "c = a * b", "da = dc b, db = dc a", "a, b", "elementwise")
Tensor mul(const Tensor& a, const Tensor& b) {
  check_same_shape("mul", a, b);
  Tensor c = Tensor::empty_like(a);
  run_kernels(a, "mul", [&]<class T>(const Kernels<T>& k) {
    k.mul(a.numel(), a.data<T>(), b.data<T>(), c.data<T>());
  });
  return record_kernels("mul", {a, b}, c, [a, b]<class T>(const Kernels<T>& k, const T* dy) {
    if (a.requires_grad()) k.mul_acc(a.numel(), dy, b.data<T>(), grad_data<T>(a));
    if (b.requires_grad()) k.mul_acc(a.numel(), dy, a.data<T>(), grad_data<T>(b));
  }, {double(a.numel()), 0});
}

BF_OP(scale, elementwise, "y = alpha x (alpha a constant)", "dx = alpha dy", "-", "elementwise")
Tensor scale(const Tensor& x, double alpha) {
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "scale", [&]<class T>(const Kernels<T>& k) {
    k.scale(x.numel(), T(alpha), x.data<T>(), y.data<T>());
  });
  return record_kernels("scale", {x}, y, [x, alpha]<class T>(const Kernels<T>& k, const T* dy) {
    k.axpy(x.numel(), T(alpha), dy, grad_data<T>(x));
  }, {double(x.numel()), 0});
}

BF_OP(scale_by, elementwise, "y = g x (g one element)", "dx = g dy, dg = sum_i dy_i x_i", "x, g", "elementwise")
Tensor scale_by(const Tensor& x, const Tensor& gain) {
  check_compatible("scale_by", x, gain);
  BF_CHECK(gain.numel() == 1, "scale_by: the gain must have one element, got ", gain.shape(), " for input ", x.shape());
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "scale_by", [&]<class T>(const Kernels<T>& k) {
    k.scale_by(x.numel(), gain.data<T>(), x.data<T>(), y.data<T>());
  });
  return record_kernels("scale_by", {x, gain}, y, [x, gain]<class T>(const Kernels<T>& k, const T* dy) {
    if (x.requires_grad()) k.scale_by_acc(x.numel(), gain.data<T>(), dy, grad_data<T>(x));
    if (gain.requires_grad()) k.dot_acc(x.numel(), dy, x.data<T>(), grad_data<T>(gain));
  }, {double(x.numel()), 0});
}

BF_OP(add_bias, elementwise, "y[r, c] = x[r, c] + b[c]", "dx = dy, db[c] = sum_r dy[r, c]", "-", "elementwise reduce")
Tensor add_bias(const Tensor& x, const Tensor& bias) {
  check_compatible("add_bias", x, bias);
  BF_CHECK(bias.ndim() == 1 && x.ndim() >= 1 && bias.size(0) == x.size(-1), "add_bias: bias ", bias.shape(),
           " does not match the last axis of ", x.shape());
  const int64_t rows = x.shape().rows(), cols = x.shape().last();
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "add_bias", [&]<class T>(const Kernels<T>& k) {
    k.add_bias(rows, cols, x.data<T>(), bias.data<T>(), y.data<T>());
  });
  return record_kernels("add_bias", {x, bias}, y, [x, bias, rows, cols]<class T>(const Kernels<T>& k, const T* dy) {
    if (x.requires_grad()) k.axpy(x.numel(), T(1), dy, grad_data<T>(x));
    if (bias.requires_grad()) k.sum_rows_acc(rows, cols, dy, grad_data<T>(bias));
  }, {double(x.numel()), 0});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
GradcheckInputs two_matrices(Rng& r, Device d) { return {param({3, 4}, r, d), param({3, 4}, r, d)}; }
GradcheckInputs one_matrix(Rng& r, Device d) { return {param({3, 4}, r, d)}; }

[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"add", "add", "[3,4] + [3,4]", two_matrices, [](In x) { return add(x[0], x[1]); }},
    {"sub", "sub", "[3,4] - [3,4]", two_matrices, [](In x) { return sub(x[0], x[1]); }},
    {"mul", "mul", "[3,4] * [3,4]", two_matrices, [](In x) { return mul(x[0], x[1]); }},
    {"mul", "mul_same_input", "x * x (a tensor used twice)", one_matrix, [](In x) { return mul(x[0], x[0]); }},
    {"scale", "scale", "0.7 * [3,4]", one_matrix, [](In x) { return scale(x[0], 0.7); }},
    {"scale_by", "scale_by", "g[1] * [3,4]",
     [](Rng& r, Device d) { return GradcheckInputs{param({3, 4}, r, d), param({1}, r, d)}; },
     [](In x) { return scale_by(x[0], x[1]); }},
    {"add_bias", "add_bias", "[2,3,4] + b[4]",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 3, 4}, r, d), param({4}, r, d)}; },
     [](In x) { return add_bias(x[0], x[1]); }},
});

}  // namespace

}  // namespace bf
