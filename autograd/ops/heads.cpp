// Head split/merge: [B, T, H*dk] <-> [B, H, T, dk]. A permutation P has the gradient P^T: the backward of
// split is merge (accumulating) and vice versa.
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(heads)

BF_OP(split_heads, heads, "y[b, h, t, c] = x[b, t, h dk + c]", "dx = merge_heads(dy)", "-", "heads")
Tensor split_heads(const Tensor& x, int64_t heads) {
  BF_CHECK(x.ndim() == 3 && heads > 0 && x.size(2) % heads == 0, "split_heads: expected [B, T, H*dk] with H = ",
           heads, " dividing the last axis, got ", x.shape());
  const int64_t B = x.size(0), T_ = x.size(1), dk = x.size(2) / heads;
  Tensor y = Tensor::empty(Shape{B, heads, T_, dk}, x.dtype(), x.device());
  run_kernels(x, "split_heads", [&]<class T>(const Kernels<T>& k) {
    k.split_heads(B, T_, heads, dk, x.data<T>(), y.data<T>(), false);
  });
  return record_kernels("split_heads", {x}, y, [x, B, T_, heads, dk]<class T>(const Kernels<T>& k, const T* dy) {
    k.merge_heads(B, T_, heads, dk, dy, grad_data<T>(x), true);
  });
}

BF_OP(merge_heads, heads, "y[b, t, h dk + c] = x[b, h, t, c]", "dx = split_heads(dy)", "-", "heads")
Tensor merge_heads(const Tensor& x) {
  BF_CHECK(x.ndim() == 4, "merge_heads: expected [B, H, T, dk], got ", x.shape());
  const int64_t B = x.size(0), heads = x.size(1), T_ = x.size(2), dk = x.size(3);
  Tensor y = Tensor::empty(Shape{B, T_, heads * dk}, x.dtype(), x.device());
  run_kernels(x, "merge_heads", [&]<class T>(const Kernels<T>& k) {
    k.merge_heads(B, T_, heads, dk, x.data<T>(), y.data<T>(), false);
  });
  return record_kernels("merge_heads", {x}, y, [x, B, T_, heads, dk]<class T>(const Kernels<T>& k, const T* dy) {
    k.split_heads(B, T_, heads, dk, dy, grad_data<T>(x), true);
  });
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"split_heads", "split_heads", "[2,3,6] -> [2,2,3,3]",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 3, 6}, r, d)}; },
     [](In x) { return split_heads(x[0], 2); }},
    {"merge_heads", "merge_heads", "[2,2,3,3] -> [2,3,6]",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 2, 3, 3}, r, d)}; },
     [](In x) { return merge_heads(x[0]); }},
});

}  // namespace

}  // namespace bf
