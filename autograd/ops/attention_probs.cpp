// Attention probabilities from the scores in one op: the 1/sqrt(d_k) scale, the causal softmax and
// shaped attention's mix (paper Eq. 5; Eq. 4 without C; none for softmax attention), M the causal mask.
// The backward is the chain rule through the three unfused ops (scale, softmax, attention_mix), per row;
// dA = dA' without the mix. C is a constant. The backward reads A (kept as a saved tensor when there is a
// mix, else it is the output) and dA' once. A backend without the fused kernels (the table entries are
// optional) gets the three unfused ops, which compute the same values.
#include "autograd/op_checks.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/op_glue.h"
#include "autograd/op_registry.h"
#include "autograd/ops.h"

namespace bf {

BF_OP_FILE(attention_probs)
namespace {

template <class T>
const T* data_or_null(const Tensor& x) {
  return x.defined() ? x.data<T>() : nullptr;
}

}  // namespace

BF_OP(causal_attention_probs, attention_probs, "A = softmax(s X + M), A' = alpha_h I + beta_h A - gamma_h C",
      "dA = beta_h dA', dX = s A (dA - sum_j dA_j A_j), gains as attention_mix", "A (extra, with a mix), beta, C",
      "attention_probs softmax elementwise attention_mix")
Tensor causal_attention_probs(const Tensor& scores, double s, const Tensor& alpha, const Tensor& beta,
                              const Tensor& gamma, const Tensor& centring) {
  BF_CHECK(scores.ndim() == 4 && scores.size(2) == scores.size(3),
           "causal_attention_probs: scores must be [B, H, T, T], got ", scores.shape());
  BF_CHECK(alpha.defined() == beta.defined(), "causal_attention_probs: alpha and beta must be given together");
  const bool mix = alpha.defined();
  BF_CHECK(mix || !gamma.defined(), "causal_attention_probs: gamma needs alpha and beta");
  const int64_t batch = scores.size(0), heads = scores.size(1), t = scores.size(2);
  if (mix) {  // the same checks as attention_mix
    auto check_gain = [&](const Tensor& g, const char* name) {
      check_compatible("causal_attention_probs", scores, g);
      BF_CHECK(g.ndim() == 1 && g.size(0) == heads, "causal_attention_probs: ", name, " ", g.shape(), " must be [",
               heads, "] for scores ", scores.shape());
    };
    check_gain(alpha, "alpha");
    check_gain(beta, "beta");
    BF_CHECK(gamma.defined() == centring.defined(), "causal_attention_probs: gamma and C must be given together");
    if (gamma.defined()) {
      check_gain(gamma, "gamma");
      check_compatible("causal_attention_probs", scores, centring);
      BF_CHECK(centring.shape() == Shape({t, t}), "causal_attention_probs: C ", centring.shape(), " must be [", t,
               ", ", t, "] for scores ", scores.shape());
    }
  }
  const bool fused = dispatch_float(scores.dtype(), "causal_attention_probs", [&]<class T>() {
    return kernels<T>(scores.device()).causal_attention_probs != nullptr;
  });
  if (!fused) {  // the reference composition
    Tensor a = softmax(scale(scores, s), /*causal=*/true);
    return mix ? attention_mix(a, alpha, beta, gamma, centring) : a;
  }

  Tensor p = Tensor::empty_like(scores);
  Tensor out = mix ? Tensor::empty_like(scores) : p;
  run_kernels(scores, "causal_attention_probs", [&]<class T>(const Kernels<T>& k) {
    k.causal_attention_probs(batch, heads, t, T(s), scores.data<T>(), data_or_null<T>(alpha), data_or_null<T>(beta),
                             data_or_null<T>(gamma), data_or_null<T>(centring), p.data<T>(),
                             mix ? out.data<T>() : nullptr);
  });
  const int64_t saved = mix ? static_cast<int64_t>(p.nbytes()) : 0;
  // Named after the ops it stands for, so a trace or an op profile still shows where the mix is.
  return record_kernels(mix ? "scale+softmax_causal+attention_mix" : "scale+softmax_causal",
                        {scores, alpha, beta, gamma}, out,
                        [scores, alpha, beta, gamma, centring, p, s, batch, heads, t]<class T>(const Kernels<T>& k,
                                                                                             const T* dy) {
    k.causal_attention_probs_backward(batch, heads, t, T(s), p.data<T>(), data_or_null<T>(beta),
                                      data_or_null<T>(centring), dy, grad_data_if_needed<T>(scores),
                                      grad_data_if_needed<T>(alpha), grad_data_if_needed<T>(beta),
                                      grad_data_if_needed<T>(gamma));
  }, {(mix ? 10.0 : 6.0) * scores.numel(), saved});
}

// ---- gradcheck cases (autograd/gradcheck_cases.h), run by `bareformer gradcheck` and the tests ----
namespace {
using namespace gradcheck_inputs;
// Shaped (Eq. 5), skipinit (Eq. 4) and softmax attention; C is a constant input.
[[maybe_unused]] const bool gradcheck_cases_registered = register_gradcheck_cases({
    {"causal_attention_probs", "causal_attention_probs", "scores [2,2,3,3], s 0.7, alpha/beta/gamma [2], C [3,3]",
     shaped_attention_inputs,
     [](In x) { return causal_attention_probs(x[0], 0.7, x[1], x[2], x[3], x[4]); }},
    {"causal_attention_probs", "causal_attention_probs_skipinit", "scores [2,2,3,3], s 0.7, alpha/beta [2]",
     skipinit_attention_inputs,
     [](In x) { return causal_attention_probs(x[0], 0.7, x[1], x[2]); }},
    {"causal_attention_probs", "causal_attention_probs_plain", "scores [2,2,4,4], s 0.7",
     [](Rng& r, Device d) { return GradcheckInputs{param({2, 2, 4, 4}, r, d)}; },
     [](In x) { return causal_attention_probs(x[0], 0.7); }},
});

}  // namespace

}  // namespace bf
