// Softmax over the last axis and the fused cross-entropy loss.
#include <vector>

#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(softmax)

// Causal: k <= i in row i. The backward needs only y, which is the output: nothing extra is saved.
BF_OP(softmax, softmax, "y_j = exp(x_j) / sum_k exp(x_k)", "dx_j = y_j (dy_j - sum_k dy_k y_k)", "y", "softmax")
Tensor softmax(const Tensor& x, bool causal) {
  BF_CHECK(x.ndim() >= 1, "softmax: needs at least one axis, got ", x.shape());
  if (causal)
    BF_CHECK(x.ndim() >= 2 && x.size(-1) == x.size(-2), "softmax: the causal mask needs a [..., T, T] input, got ",
             x.shape());
  const int64_t rows = x.shape().rows(), cols = x.shape().last();
  Tensor y = Tensor::empty_like(x);
  run_kernels(x, "softmax", [&]<class T>(const Kernels<T>& k) {
    k.softmax(rows, cols, causal, x.data<T>(), y.data<T>());
  });
  return record_kernels(causal ? "softmax_causal" : "softmax", {x}, y,
                        [x, y, rows, cols]<class T>(const Kernels<T>& k, const T* dy) {
    k.softmax_backward(rows, cols, y.data<T>(), dy, grad_data<T>(x));
  }, {5.0 * x.numel(), 0});
}

// lse_r = log sum_j exp x[r, j], p = softmax(x_r); n valid rows, dx = 0 on ignored ones. Saves the per-row
// log-sum-exp (rows values) so the backward recomputes softmax in one pass.
BF_OP(cross_entropy, softmax, "L = (1/n) sum_{r valid} (lse_r - x[r, t_r])",
      "dx[r, j] = (dL/n) (p[r, j] - 1[j == t_r]), p = softmax(x)", "logits, targets (lse [N])", "softmax")
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index) {
  BF_CHECK(logits.ndim() == 2, "cross_entropy: logits must be [N, V], got ", logits.shape());
  BF_CHECK(targets.dtype() == DType::i32 && targets.ndim() == 1 && targets.size(0) == logits.size(0),
           "cross_entropy: targets must be i32 [", logits.size(0), "] for logits ", logits.shape(), ", got ",
           targets.shape(), " ", dtype_name(targets.dtype()));
  BF_CHECK(targets.device() == logits.device(), "cross_entropy: targets on ", device_name(targets.device()),
           " but logits on ", device_name(logits.device()));
  const int64_t rows = logits.size(0), cols = logits.size(1);
  {
    // Targets on a GPU are copied back once for this check (a few KB per batch), as embedding's ids are.
    const std::vector<int32_t> on_host =
        targets.device() == Device::cpu ? std::vector<int32_t>() : targets.to_vector<int32_t>();
    const int32_t* t = targets.device() == Device::cpu ? targets.data<int32_t>() : on_host.data();
    for (int64_t r = 0; r < rows; ++r)
      BF_CHECK(t[r] == ignore_index || (t[r] >= 0 && t[r] < cols), "cross_entropy: target ", t[r], " at row ", r,
               " is outside the vocabulary [0, ", cols, ") (ignore_index is ", ignore_index, ")");
  }
  Tensor loss = Tensor::empty(Shape{}, logits.dtype(), logits.device());
  Tensor row_lse = Tensor::empty(Shape{rows}, logits.dtype(), logits.device());
  run_kernels(logits, "cross_entropy", [&]<class T>(const Kernels<T>& k) {
    k.cross_entropy(rows, cols, logits.data<T>(), targets.data<int32_t>(), ignore_index, row_lse.data<T>(),
                    loss.data<T>());
  });
  return record_kernels("cross_entropy", {logits, targets}, loss,
                        [logits, targets, row_lse, ignore_index, rows, cols]<class T>(const Kernels<T>& k, const T* dy) {
    k.cross_entropy_backward(rows, cols, logits.data<T>(), targets.data<int32_t>(), ignore_index, row_lse.data<T>(),
                             dy, grad_data<T>(logits));
  }, {4.0 * logits.numel(), static_cast<int64_t>(row_lse.nbytes())});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"softmax", "softmax", "[2,3,5]", [](Rng& r, Device d) { return GradcheckInputs{param({2, 3, 5}, r, d, -2, 2)}; },
     [](In x) { return softmax(x[0]); }},
    {"softmax", "softmax_causal", "[2,2,4,4] causal",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 2, 4, 4}, r, d, -2, 2)}; },
     [](In x) { return softmax(x[0], true); }},
    {"cross_entropy", "cross_entropy", "logits [5,7], targets [5] (one ignored)",
     [](Rng& r, Device d) {
       return GradcheckInputs{param({5, 7}, r, d, -2, 2), Tensor::from_vector<int32_t>({3, 0, -1, 6, 3}, Shape{5}, d)};
     },
     [](In x) { return cross_entropy(x[0], x[1], -1); }},
});

}  // namespace

}  // namespace bf
