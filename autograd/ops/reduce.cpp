// Reductions over an axis, and reshape. The tensor is viewed as [outer, len, inner] around the axis.
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(reduce)
namespace {

struct AxisView {
  int64_t outer = 1, len = 1, inner = 1;
};
AxisView axis_view(const Shape& shape, int axis) {
  AxisView v;
  for (int i = 0; i < shape.ndim(); ++i) {
    if (i < axis) v.outer *= shape[i];
    else if (i == axis) v.len = shape[i];
    else v.inner *= shape[i];
  }
  return v;
}

// sum and mean: the sum over the axis, times 1/len for the mean.
Tensor scaled_sum(const char* op, const Tensor& x, int axis, bool average) {
  BF_CHECK(x.ndim() >= 1, op, ": needs at least one axis, got a 0-D tensor");
  const int a = x.shape().normalize_axis(axis);
  const AxisView v = axis_view(x.shape(), a);
  const double factor = average ? 1.0 / static_cast<double>(v.len) : 1.0;
  Tensor y = Tensor::empty(x.shape().without_axis(a), x.dtype(), x.device());
  run_kernels(x, op, [&]<class T>(const Kernels<T>& k) {
    k.sum_axis(v.outer, v.len, v.inner, x.data<T>(), y.data<T>());
    if (average) k.scale(y.numel(), T(factor), y.data<T>(), y.data<T>());
  });
  return record_kernels(op, {x}, y, [x, v, factor]<class T>(const Kernels<T>& k, const T* dy) {
    k.broadcast_axis_acc(v.outer, v.len, v.inner, T(factor), dy, grad_data<T>(x));
  }, {double(x.numel()), 0});
}

}  // namespace

BF_OP(sum, reduce, "y[o, i] = sum_l x[o, l, i]", "dx[o, l, i] = dy[o, i]", "-", "reduce")
Tensor sum(const Tensor& x, int axis) { return scaled_sum("sum", x, axis, false); }
BF_OP(mean, reduce, "y[o, i] = (1/len) sum_l x[o, l, i]", "dx[o, l, i] = dy[o, i] / len", "-", "reduce")
Tensor mean(const Tensor& x, int axis) { return scaled_sum("mean", x, axis, true); }
// Recorded as two entries, reshape then sum.
BF_OP(sum_all, reduce, "y = sum_i x_i", "dx_i = dy", "-", "reduce elementwise")
Tensor sum_all(const Tensor& x) { return sum(reshape(x, Shape{x.numel()}), 0); }

// y shares x's storage.
BF_OP(reshape, reduce, "y = x viewed with another shape", "dx = dy viewed with x's shape", "-", "elementwise")
Tensor reshape(const Tensor& x, const Shape& shape) {
  Tensor y = x.view(shape);
  return record_kernels("reshape", {x}, y, [x]<class T>(const Kernels<T>& k, const T* dy) {
    k.axpy(x.numel(), T(1), dy, grad_data<T>(x));
  });
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
GradcheckInputs cube(Rng& r, Device d) { return {param({2, 3, 4}, r, d)}; }

[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"sum", "sum", "[2,3,4] over axis 1", cube, [](In x) { return sum(x[0], 1); }},
    {"mean", "mean", "[2,3,4] over axis -1", cube, [](In x) { return mean(x[0], -1); }},
    {"sum_all", "sum_all", "[2,3,4]", cube, [](In x) { return sum_all(x[0]); }},
    {"reshape", "reshape", "[2,3,4] -> [6,4]", cube,
     [](In x) { return mul(reshape(x[0], {6, 4}), reshape(x[0], {6, 4})); }},
});

}  // namespace

}  // namespace bf
