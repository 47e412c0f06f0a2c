// Matrix products. With C = op(A) op(B) and G = dL/dC:
//   dL/d op(A) = G op(B)^T,   dL/d op(B) = op(A)^T G,
// and when A is stored transposed (trans_a) its gradient is the transpose of that: dA = op(B) G^T.
// Every gradient is one GEMM with transpose flags and beta = 1 (accumulate); nothing is copied.
#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(matmul)
namespace {

struct ProductDims {
  int64_t batch, m, n, k;
  Shape out;
};

ProductDims product_dims(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  check_compatible("matmul", a, b);
  BF_CHECK(a.ndim() >= 2 && a.ndim() == b.ndim(), "matmul: operands must both be 2-D, 3-D or 4-D with equal rank, got ",
           a.shape(), " and ", b.shape());
  ProductDims d{1, a.size(ta ? -1 : -2), b.size(tb ? -2 : -1), a.size(ta ? -2 : -1), Shape()};
  const int64_t kb = b.size(tb ? -1 : -2);
  BF_CHECK(d.k == kb, "matmul: inner dimensions differ: ", a.shape(), (ta ? "^T" : ""), " x ", b.shape(),
           (tb ? "^T" : ""), " (", d.k, " vs ", kb, ")");
  for (int i = 0; i < a.ndim() - 2; ++i) {
    BF_CHECK(a.size(i) == b.size(i), "matmul: batch dimensions differ: ", a.shape(), " vs ", b.shape());
    d.batch *= a.size(i);
    d.out.push_back(a.size(i));
  }
  d.out.push_back(d.m);
  d.out.push_back(d.n);
  return d;
}

}  // namespace

BF_OP(matmul, matmul, "C = op(A) op(B)", "dA = G op(B)^T (or op(B) G^T), dB = op(A)^T G (or G^T op(A))", "A, B",
      "matmul")
Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  const ProductDims d = product_dims(a, b, ta, tb);
  Tensor c = Tensor::empty(d.out, a.dtype(), a.device());
  run_kernels(a, "matmul", [&]<class T>(const Kernels<T>& k) {
    k.gemm_batched(d.batch, ta, tb, d.m, d.n, d.k, T(1), a.data<T>(), b.data<T>(), T(0), c.data<T>());
  });
  return record_kernels("matmul", {a, b}, c, [a, b, ta, tb, d]<class T>(const Kernels<T>& k, const T* dy) {
    if (a.requires_grad()) {
      if (!ta)  // dA [m,k] = G [m,n] op(B)^T
        k.gemm_batched(d.batch, false, !tb, d.m, d.k, d.n, T(1), dy, b.data<T>(), T(1), grad_data<T>(a));
      else      // dA [k,m] = op(B) [k,n] G^T
        k.gemm_batched(d.batch, tb, true, d.k, d.m, d.n, T(1), b.data<T>(), dy, T(1), grad_data<T>(a));
    }
    if (b.requires_grad()) {
      if (!tb)  // dB [k,n] = op(A)^T G
        k.gemm_batched(d.batch, !ta, false, d.k, d.n, d.m, T(1), a.data<T>(), dy, T(1), grad_data<T>(b));
      else      // dB [n,k] = G^T op(A)
        k.gemm_batched(d.batch, true, ta, d.n, d.k, d.m, T(1), dy, a.data<T>(), T(1), grad_data<T>(b));
    }
  }, {2.0 * d.batch * d.m * d.n * d.k, 0});
}

BF_OP(linear, matmul, "y = x W^T + b", "dx = G W, dW = G^T x, db = sum_r G", "x, W", "matmul reduce")
// The GEMM overwrites y (beta = 0), then one in-place pass adds b to every row: y is written by the GEMM
// and read and written once more, where filling y with b first (a fill and a bias pass) and accumulating
// onto it (beta = 1) would touch it four times.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  check_compatible("linear", x, weight);
  BF_CHECK(weight.ndim() == 2 && x.ndim() >= 1 && x.size(-1) == weight.size(1), "linear: input ", x.shape(),
           " does not match weight ", weight.shape(), " (expected input [..., ", weight.ndim() == 2 ? weight.size(1) : 0,
           "] for weight [out, in])");
  const int64_t rows = x.shape().rows(), in = weight.size(1), out = weight.size(0);
  if (bias.defined()) {
    check_compatible("linear", x, bias);
    BF_CHECK(bias.ndim() == 1 && bias.size(0) == out, "linear: bias ", bias.shape(), " does not match weight ",
             weight.shape(), " (expected [", out, "])");
  }
  Tensor y = Tensor::empty(x.shape().with_last(out), x.dtype(), x.device());
  run_kernels(x, "linear", [&]<class T>(const Kernels<T>& k) {
    k.gemm(false, true, rows, out, in, T(1), x.data<T>(), weight.data<T>(), T(0), y.data<T>());
    if (bias.defined()) k.add_bias(rows, out, y.data<T>(), bias.data<T>(), y.data<T>());
  });
  return record_kernels("linear", {x, weight, bias}, y,
                        [x, weight, bias, rows, in, out]<class T>(const Kernels<T>& k, const T* dy) {
    if (x.requires_grad())  // dx [rows,in] = G [rows,out] W [out,in]
      k.gemm(false, false, rows, in, out, T(1), dy, weight.data<T>(), T(1), grad_data<T>(x));
    if (weight.requires_grad())  // dW [out,in] = G^T x
      k.gemm(true, false, out, in, rows, T(1), dy, x.data<T>(), T(1), grad_data<T>(weight));
    if (bias.defined() && bias.requires_grad()) k.sum_rows_acc(rows, out, dy, grad_data<T>(bias));
  }, {2.0 * rows * in * out, 0});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
// Each transpose combination, and the batched (per-head) form.
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases([] {
  std::vector<GradcheckCase> cases;
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    cases.push_back({"matmul", std::string("matmul") + (ta || tb ? "_" : "") + (ta ? "ta" : "") + (tb ? "tb" : ""),
                     std::string(ta ? "[4,3]^T" : "[3,4]") + (tb ? " x [5,4]^T" : " x [4,5]"),
                     [ta, tb](Rng& r, Device d) {
                       return GradcheckInputs{param(ta ? Shape{4, 3} : Shape{3, 4}, r, d),
                                              param(tb ? Shape{5, 4} : Shape{4, 5}, r, d)};
                     },
                     [ta, tb](In x) { return matmul(x[0], x[1], ta, tb); }});
  }
  cases.push_back({"matmul", "matmul_batched", "[2,2,3,4] x [2,2,5,4]^T",
                   [](Rng& r, Device d) { return GradcheckInputs{param({2, 2, 3, 4}, r, d), param({2, 2, 5, 4}, r, d)}; },
                   [](In x) { return matmul(x[0], x[1], false, true); }});
  cases.push_back({"linear", "linear", "[2,3,4] W[5,4] b[5]",
                   [](Rng& r, Device d) {
                     return GradcheckInputs{param({2, 3, 4}, r, d), param({5, 4}, r, d), param({5}, r, d)};
                   },
                   [](In x) { return linear(x[0], x[1], x[2]); }});
  cases.push_back({"linear", "linear_no_bias", "[6,4] W[3,4]",
                   [](Rng& r, Device d) { return GradcheckInputs{param({6, 4}, r, d), param({3, 4}, r, d)}; },
                   [](In x) { return linear(x[0], x[1]); }});
  return cases;
}());

}  // namespace

}  // namespace bf
