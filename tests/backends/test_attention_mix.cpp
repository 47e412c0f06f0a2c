// attention_mix (shaped attention, A' = alpha I + beta A - gamma C per head) and its backward, with and
// without the centring term, against naive loops; gradients accumulate and null pointers are skipped.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

struct Dims {
  int64_t batch, heads, t;
};

// out[b,h,i,j] = alpha_h [i == j] + beta_h A[b,h,i,j] - gamma_h C[i,j]  (no gamma term when gamma is empty)
naive::Vec mix_ref(const Dims& d, const naive::Vec& a, const naive::Vec& alpha, const naive::Vec& beta,
                   const naive::Vec& gamma, const naive::Vec& c) {
  naive::Vec out(a.size());
  for (int64_t b = 0; b < d.batch; ++b)
    for (int64_t h = 0; h < d.heads; ++h)
      for (int64_t i = 0; i < d.t; ++i)
        for (int64_t j = 0; j < d.t; ++j) {
          const int64_t idx = ((b * d.heads + h) * d.t + i) * d.t + j;
          double v = beta[h] * a[idx] + (i == j ? alpha[h] : 0.0);
          if (!gamma.empty()) v -= gamma[h] * c[i * d.t + j];
          out[idx] = v;
        }
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("attention_mix forward, with and without the centring term", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(81);
  for (Dims d : {Dims{2, 3, 4}, Dims{1, 1, 1}, Dims{4, 4, 40}}) {
    CAPTURE(d.batch);
    CAPTURE(d.heads);
    CAPTURE(d.t);
    const int64_t n = d.batch * d.heads * d.t * d.t;
    const auto a = naive::random_vec<T>(n, rng), alpha = naive::random_vec<T>(d.heads, rng),
               beta = naive::random_vec<T>(d.heads, rng), gamma = naive::random_vec<T>(d.heads, rng),
               c = naive::random_vec<T>(d.t * d.t, rng, 0, 1);
    std::vector<T> out(n, T(-8));
    K.attention_mix(d.batch, d.heads, d.t, a.data(), alpha.data(), beta.data(), gamma.data(), c.data(), out.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out),
                        mix_ref(d, naive::to_d(a), naive::to_d(alpha), naive::to_d(beta), naive::to_d(gamma), naive::to_d(c)));
    std::fill(out.begin(), out.end(), T(-8));
    K.attention_mix(d.batch, d.heads, d.t, a.data(), alpha.data(), beta.data(), nullptr, nullptr, out.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(out),
                        mix_ref(d, naive::to_d(a), naive::to_d(alpha), naive::to_d(beta), naive::Vec(), naive::Vec()));
  }
}

TEST_CASE_TEMPLATE("attention_mix_backward accumulates every wanted gradient", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(82);
  for (Dims d : {Dims{2, 3, 4}, Dims{4, 4, 40}}) {
    CAPTURE(d.batch);
    CAPTURE(d.heads);
    CAPTURE(d.t);
    const int64_t n = d.batch * d.heads * d.t * d.t;
    const auto a = naive::random_vec<T>(n, rng), beta = naive::random_vec<T>(d.heads, rng),
               c = naive::random_vec<T>(d.t * d.t, rng, 0, 1), dout = naive::random_vec<T>(n, rng);
    const auto da0 = naive::random_vec<T>(n, rng), dal0 = naive::random_vec<T>(d.heads, rng),
               dbe0 = naive::random_vec<T>(d.heads, rng), dga0 = naive::random_vec<T>(d.heads, rng);
    // Hand-derived: dA = beta dOut; dalpha_h = sum of the diagonals; dbeta_h = sum dOut A; dgamma_h = -sum dOut C.
    naive::Vec da(n), dal(d.heads, 0.0), dbe(d.heads, 0.0), dga(d.heads, 0.0);
    for (int64_t b = 0; b < d.batch; ++b)
      for (int64_t h = 0; h < d.heads; ++h)
        for (int64_t i = 0; i < d.t; ++i)
          for (int64_t j = 0; j < d.t; ++j) {
            const int64_t idx = ((b * d.heads + h) * d.t + i) * d.t + j;
            da[idx] = double(beta[h]) * double(dout[idx]);
            if (i == j) dal[h] += double(dout[idx]);
            dbe[h] += double(dout[idx]) * double(a[idx]);
            dga[h] -= double(dout[idx]) * double(c[i * d.t + j]);
          }
    const double sum_atol = naive::Tol<T>::atol * std::sqrt(double(d.batch * d.t * d.t));
    auto expect = [](const std::vector<T>& base, const naive::Vec& delta, bool wanted) {
      naive::Vec e = naive::to_d(base);
      if (wanted)
        for (size_t i = 0; i < e.size(); ++i) e[i] += delta[i];
      return e;
    };
    for (int mask = 0; mask < 16; ++mask) {
      const bool want_a = mask & 1, want_alpha = mask & 2, want_beta = mask & 4, want_gamma = mask & 8;
      CAPTURE(mask);
      std::vector<T> ga = da0, gal = dal0, gbe = dbe0, gga = dga0;
      K.attention_mix_backward(d.batch, d.heads, d.t, a.data(), beta.data(), c.data(), dout.data(),
                               want_a ? ga.data() : nullptr, want_alpha ? gal.data() : nullptr,
                               want_beta ? gbe.data() : nullptr, want_gamma ? gga.data() : nullptr);
      NAIVE_CHECK_CLOSE_T(T, naive::to_d(ga), expect(da0, da, want_a));
      NAIVE_CHECK_CLOSE(naive::to_d(gal), expect(dal0, dal, want_alpha), naive::Tol<T>::rtol, sum_atol);
      NAIVE_CHECK_CLOSE(naive::to_d(gbe), expect(dbe0, dbe, want_beta), naive::Tol<T>::rtol, sum_atol);
      NAIVE_CHECK_CLOSE(naive::to_d(gga), expect(dga0, dga, want_gamma), naive::Tol<T>::rtol, sum_atol);
    }
    // Skipinit form: no C, the gamma gradient (if a buffer is passed) is untouched.
    std::vector<T> gga = dga0, gal = dal0;
    K.attention_mix_backward(d.batch, d.heads, d.t, a.data(), beta.data(), nullptr, dout.data(), nullptr, gal.data(),
                             nullptr, gga.data());
    NAIVE_CHECK_CLOSE(naive::to_d(gga), naive::to_d(dga0), 0.0, 0.0);
    NAIVE_CHECK_CLOSE(naive::to_d(gal), expect(dal0, dal, true), naive::Tol<T>::rtol, sum_atol);
  }
}
