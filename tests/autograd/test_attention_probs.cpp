// The fused attention probabilities (causal_attention_probs) against the unfused composition it replaces,
// attention_mix(softmax(scale(scores, s), causal), ...), forward values and every gradient, for shaped
// attention (Eq. 5), skipinit (Eq. 4) and plain softmax attention, in f32 and f64; and that its form
// without a mix is A = softmax(s * scores, causal). (Each of the unfused ops has its own naive-loop test
// and gradcheck; the fused op has its gradcheck cases in autograd/ops/attention_probs.cpp.)
#include <doctest/doctest.h>

#include "../backends/naive.h"
#include "autograd/ops.h"
#include "autograd/tape.h"

using bf::Shape;
using bf::Tensor;

namespace {

enum class Mix { shaped, skipinit, none };

struct Result {
  naive::Vec out, probs, d_scores, d_alpha, d_beta, d_gamma;
};

template <class T>
Result run(bool fused, Mix mix, uint64_t seed) {
  bf::Rng rng(seed);
  const int64_t b = 2, h = 3, t = 7;
  const double s = 0.37;
  auto param = [&](const Shape& shape, double lo, double hi) {
    Tensor x = Tensor::uniform(shape, rng, lo, hi, bf::dtype_of<T>());
    x.set_requires_grad(true);
    return x;
  };
  Tensor scores = param({b, h, t, t}, -3, 3);
  Tensor alpha = param({h}, 0.5, 1.5), beta = param({h}, 0.5, 1.5), gamma = param({h}, 0.5, 1.5);
  const Tensor centring = Tensor::uniform({t, t}, rng, 0, 1, bf::dtype_of<T>());
  const Tensor seed_grad = Tensor::uniform({b, h, t, t}, rng, -1, 1, bf::dtype_of<T>());
  if (mix == Mix::none) alpha = beta = gamma = Tensor();
  if (mix == Mix::skipinit) gamma = Tensor();
  const Tensor c = mix == Mix::shaped ? centring : Tensor();

  Tensor out, probs;
  if (fused) {
    out = bf::causal_attention_probs(scores, s, alpha, beta, gamma, c);
    bf::NoGradGuard no_grad;  // A for the comparison only, off the tape
    probs = bf::causal_attention_probs(scores, s);
  } else {
    probs = bf::softmax(bf::scale(scores, s), /*causal=*/true);
    out = mix == Mix::none ? probs : bf::attention_mix(probs, alpha, beta, gamma, c);
  }
  Result r{out.to_f64_vector(), probs.to_f64_vector(), {}, {}, {}, {}};
  bf::backward(out, seed_grad);
  r.d_scores = scores.grad().to_f64_vector();
  if (mix != Mix::none) r.d_alpha = alpha.grad().to_f64_vector(), r.d_beta = beta.grad().to_f64_vector();
  if (mix == Mix::shaped) r.d_gamma = gamma.grad().to_f64_vector();
  return r;
}

}  // namespace

TEST_CASE_TEMPLATE("causal_attention_probs equals scale + causal softmax + attention_mix, values and gradients", T,
                   float, double) {
  for (Mix mix : {Mix::shaped, Mix::skipinit, Mix::none}) {
    CAPTURE(int(mix));
    const Result fused = run<T>(true, mix, 5), unfused = run<T>(false, mix, 5);
    NAIVE_CHECK_CLOSE_T(T, fused.out, unfused.out);
    NAIVE_CHECK_CLOSE_T(T, fused.probs, unfused.probs);
    NAIVE_CHECK_CLOSE_T(T, fused.d_scores, unfused.d_scores);
    NAIVE_CHECK_CLOSE_T(T, fused.d_alpha, unfused.d_alpha);
    NAIVE_CHECK_CLOSE_T(T, fused.d_beta, unfused.d_beta);
    NAIVE_CHECK_CLOSE_T(T, fused.d_gamma, unfused.d_gamma);
    // The masked half is exactly zero in A, and each row of A sums to 1.
    const int64_t t = 7;
    for (int64_t row = 0; row < 2 * 3 * t; ++row) {
      const int64_t i = row % t;
      double total = 0;
      for (int64_t j = 0; j < t; ++j) {
        if (j > i) CHECK(fused.probs[row * t + j] == 0.0);
        total += fused.probs[row * t + j];
      }
      CHECK(total == doctest::Approx(1.0).epsilon(1e-6));
    }
  }
}

TEST_CASE("causal_attention_probs rejects mismatched inputs") {
  const Tensor scores = Tensor::zeros({1, 2, 3, 3}), gains = Tensor::ones({2}), wrong = Tensor::ones({3});
  CHECK_THROWS_WITH_AS(bf::causal_attention_probs(Tensor::zeros({2, 3, 4}), 1.0), doctest::Contains("[B, H, T, T]"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(bf::causal_attention_probs(scores, 1.0, gains), doctest::Contains("together"), bf::Error);
  CHECK_THROWS_WITH_AS(bf::causal_attention_probs(scores, 1.0, gains, wrong), doctest::Contains("must be [2]"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(bf::causal_attention_probs(scores, 1.0, gains, gains, gains, Tensor::zeros({2, 2})),
                       doctest::Contains("must be [3, 3]"), bf::Error);
}
