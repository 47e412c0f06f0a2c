// Attention probabilities in one pass over each [t, t] block: the 1/sqrt(d_k) scale, the causal softmax
// and shaped attention's mix A' = alpha I + beta A - gamma C (paper Eq. 5; Eq. 4 without C), forward and
// backward. The unfused ops (scale, softmax, attention_mix) read and write the [B, H, T, T] tensor three
// times each way; here the forward reads x once and writes p and A', the backward reads p and dA' once.
#include <Eigen/Core>
#include <vector>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

template <class T> using Row = Eigen::Map<Eigen::Array<T, Eigen::Dynamic, 1>>;
template <class T> using ConstRow = Eigen::Map<const Eigen::Array<T, Eigen::Dynamic, 1>>;

// Row i of block (b, h): p_j = exp(s x_j - m) / sum_{k <= i} exp(s x_k - m), m = max_{k <= i} s x_k, p_j = 0
// for j > i;  out_j = beta p_j - gamma C_ij + alpha 1[i == j].
template <class T>
void causal_attention_probs(int64_t batch, int64_t heads, int64_t t, T s, const T* x, const T* alpha, const T* beta,
                            const T* gamma, const T* c, T* p, T* out) {
  const bool mix = alpha != nullptr;
#pragma omp parallel for collapse(2) schedule(static) if (batch * heads * t * t > kParallelGrain)
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t base = (b * heads + h) * t * t;
      for (int64_t i = 0; i < t; ++i) {
        const int64_t row = base + i * t, visible = i + 1;
        Row<T> pv(p + row, visible);
        pv = ConstRow<T>(x + row, visible) * s;
        pv = (pv - pv.maxCoeff()).exp();
        pv *= T(1) / pv.sum();
        for (int64_t j = visible; j < t; ++j) p[row + j] = T(0);
        if (!mix) continue;
        Row<T> ov(out + row, t);
        ov = beta[h] * ConstRow<T>(p + row, t);
        if (gamma) ov -= gamma[h] * ConstRow<T>(c + i * t, t);
        out[row + i] += alpha[h];
      }
    }
}

// Per row, with g = dOut and dp = beta g (g without the mix), the softmax backward through the scale:
//   dx_j += s p_j (dp_j - sum_k dp_k p_k)
// and the mix's parameter gradients. Each (b, h) block sums its own partials; they are then added in
// (b, h) order, so the result does not depend on the thread count.
template <class T>
void causal_attention_probs_backward(int64_t batch, int64_t heads, int64_t t, T s, const T* p, const T* beta,
                                     const T* c, const T* dout, T* dx_acc, T* dalpha_acc, T* dbeta_acc,
                                     T* dgamma_acc) {
  const bool mix = beta != nullptr;
  std::vector<T> partial(mix ? batch * heads * 3 : 0, T(0));  // per block: dalpha, dbeta, dgamma
#pragma omp parallel for collapse(2) schedule(static) if (batch * heads * t * t > kParallelGrain)
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t block = b * heads + h, base = block * t * t;
      const T gain = mix ? beta[h] : T(1);
      T dalpha = 0, dbeta = 0, dgamma = 0;
      for (int64_t i = 0; i < t; ++i) {
        const int64_t row = base + i * t, visible = i + 1;
        ConstRow<T> pv(p + row, visible), gv(dout + row, visible);
        const T dot = (gv * pv).sum();  // sum_k g_k p_k over the visible entries (p = 0 beyond)
        if (dx_acc) Row<T>(dx_acc + row, visible) += (s * gain) * pv * (gv - dot);
        if (!mix) continue;
        dalpha += dout[row + i];
        dbeta += dot;
        if (c) dgamma -= (ConstRow<T>(dout + row, t) * ConstRow<T>(c + i * t, t)).sum();
      }
      if (mix) partial[block * 3] = dalpha, partial[block * 3 + 1] = dbeta, partial[block * 3 + 2] = dgamma;
    }
  if (!mix) return;
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const T* q = &partial[(b * heads + h) * 3];
      if (dalpha_acc) dalpha_acc[h] += q[0];
      if (dbeta_acc) dbeta_acc[h] += q[1];
      if (dgamma_acc) dgamma_acc[h] += q[2];
    }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(attention_probs)
