// Shaped attention's combination A' = alpha I + beta A - gamma C, per head (paper Eq. 5; Eq. 4 without C).
#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

template <class T>
void attention_mix(int64_t batch, int64_t heads, int64_t t, const T* a, const T* alpha, const T* beta, const T* gamma,
                   const T* c, T* out) {
#pragma omp parallel for collapse(2) schedule(static) if (batch * heads * t * t > kParallelGrain)
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t base = (b * heads + h) * t * t;
      for (int64_t i = 0; i < t; ++i)
        for (int64_t j = 0; j < t; ++j) {
          T v = beta[h] * a[base + i * t + j];
          if (gamma) v -= gamma[h] * c[i * t + j];
          if (i == j) v += alpha[h];
          out[base + i * t + j] = v;
        }
    }
}

// Threads split the heads; each head's sums run over (b, i, j) in order, so results are deterministic.
template <class T>
void attention_mix_backward(int64_t batch, int64_t heads, int64_t t, const T* a, const T* beta, const T* c,
                            const T* dout, T* da_acc, T* dalpha_acc, T* dbeta_acc, T* dgamma_acc) {
#pragma omp parallel for schedule(static) if (batch * heads * t * t > kParallelGrain)
  for (int64_t h = 0; h < heads; ++h) {
    T dalpha = 0, dbeta = 0, dgamma = 0;
    for (int64_t b = 0; b < batch; ++b) {
      const int64_t base = (b * heads + h) * t * t;
      for (int64_t i = 0; i < t; ++i) {
        dalpha += dout[base + i * t + i];
        for (int64_t j = 0; j < t; ++j) {
          const T g = dout[base + i * t + j];
          if (da_acc) da_acc[base + i * t + j] += beta[h] * g;
          dbeta += g * a[base + i * t + j];
          if (c) dgamma -= g * c[i * t + j];
        }
      }
    }
    if (dalpha_acc) dalpha_acc[h] += dalpha;
    if (dbeta_acc) dbeta_acc[h] += dbeta;
    if (dgamma_acc) dgamma_acc[h] += dgamma;
  }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(attention_mix)
