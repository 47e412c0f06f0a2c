// Embedding gather and its scatter-add backward.
#include <cstring>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// out[i, :] = table[ids[i], :]
template <class T> void embedding(int64_t n_ids, int64_t dim, const int32_t* ids, const T* table, T* out) {
#pragma omp parallel for schedule(static) if (n_ids * dim > kParallelGrain)
  for (int64_t i = 0; i < n_ids; ++i) std::memcpy(out + i * dim, table + ids[i] * dim, dim * sizeof(T));
}

// dtable[ids[i], :] += dout[i, :]. Threads split the embedding dimension, so every table row receives
// its contributions in index order whatever the thread count (deterministic, no atomics).
template <class T>
void embedding_backward(int64_t n_ids, int64_t dim, const int32_t* ids, const T* dout, T* dtable_acc) {
#pragma omp parallel for schedule(static) if (n_ids * dim > kParallelGrain && dim >= 32)
  for (int64_t c0 = 0; c0 < dim; c0 += 32) {
    const int64_t c1 = c0 + 32 < dim ? c0 + 32 : dim;
    for (int64_t i = 0; i < n_ids; ++i) {
      T* dst = dtable_acc + ids[i] * dim;
      const T* src = dout + i * dim;
      for (int64_t c = c0; c < c1; ++c) dst[c] += src[c];
    }
  }
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(embedding)
