// Shaped attention: A' = alpha_h I + beta_h A - gamma_h C (paper Eq. 5), or alpha_h I + beta_h A (Eq. 4).
// The gradient of alpha_h is the trace of each head's gradient; sums run over b and the T x T entries.
// C is a constant: no gradient flows into it.
#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(attention_mix)

BF_OP(attention_mix, attention_mix, "A' = alpha_h I + beta_h A - gamma_h C",
      "dA = beta_h dA', dalpha_h = sum_{b,i} dA'_ii, dbeta_h = sum dA' A, dgamma_h = -sum dA' C", "A, beta, C",
      "attention_mix")
Tensor attention_mix(const Tensor& a, const Tensor& alpha, const Tensor& beta, const Tensor& gamma,
                     const Tensor& centring) {
  BF_CHECK(a.ndim() == 4 && a.size(2) == a.size(3), "attention_mix: A must be [B, H, T, T], got ", a.shape());
  const int64_t batch = a.size(0), heads = a.size(1), t = a.size(2);
  auto check_gain = [&](const Tensor& g, const char* name) {
    check_defined("attention_mix", g, name);
    check_compatible("attention_mix", a, g);
    BF_CHECK(g.ndim() == 1 && g.size(0) == heads, "attention_mix: ", name, " ", g.shape(), " must be [", heads,
             "] for A ", a.shape());
  };
  check_gain(alpha, "alpha");
  check_gain(beta, "beta");
  BF_CHECK(gamma.defined() == centring.defined(), "attention_mix: gamma and C must be given together");
  if (gamma.defined()) {
    check_gain(gamma, "gamma");
    check_compatible("attention_mix", a, centring);
    BF_CHECK(centring.shape() == Shape({t, t}), "attention_mix: C ", centring.shape(), " must be [", t, ", ", t,
             "] for A ", a.shape());
  }
  Tensor out = Tensor::empty_like(a);
  run_kernels(a, "attention_mix", [&]<class T>(const Kernels<T>& k) {
    k.attention_mix(batch, heads, t, a.data<T>(), alpha.data<T>(), beta.data<T>(),
                    gamma.defined() ? gamma.data<T>() : nullptr, centring.defined() ? centring.data<T>() : nullptr,
                    out.data<T>());
  });
  return record_kernels("attention_mix", {a, alpha, beta, gamma}, out,
                        [a, alpha, beta, gamma, centring, batch, heads, t]<class T>(const Kernels<T>& k, const T* dy) {
    k.attention_mix_backward(batch, heads, t, a.data<T>(), beta.data<T>(),
                             centring.defined() ? centring.data<T>() : nullptr, dy, grad_data_if_needed<T>(a),
                             grad_data_if_needed<T>(alpha), grad_data_if_needed<T>(beta), grad_data_if_needed<T>(gamma));
  }, {4.0 * a.numel(), 0});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
// Shaped attention (Eq. 5) and its skipinit form (Eq. 4); C is a constant input.
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"attention_mix", "attention_mix", "A [2,2,3,3], alpha/beta/gamma [2], C [3,3]",
     shaped_attention_inputs,
     [](In x) { return attention_mix(x[0], x[1], x[2], x[3], x[4]); }},
    {"attention_mix", "attention_mix_skipinit", "A [2,2,3,3], alpha/beta [2]",
     skipinit_attention_inputs,
     [](In x) { return attention_mix(x[0], x[1], x[2]); }},
});

}  // namespace

}  // namespace bf
