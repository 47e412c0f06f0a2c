// Head permutations [B,T,H,dk] <-> [B,H,T,dk]: each row of dk channels moves as one block.
#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// Copies (or adds) the dk-vector at (b,t,h) of the [B,T,H,dk] layout to/from (b,h,t) of [B,H,T,dk].
template <class T, bool kToHeads>
void permute_heads(int64_t B, int64_t Tn, int64_t H, int64_t dk, const T* src, T* dst, bool accumulate) {
#pragma omp parallel for collapse(2) schedule(static) if (B * Tn * H * dk > kParallelGrain)
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tn; ++t)
      for (int64_t h = 0; h < H; ++h) {
        const int64_t bthd = ((b * Tn + t) * H + h) * dk;
        const int64_t bhtd = ((b * H + h) * Tn + t) * dk;
        const T* s = src + (kToHeads ? bthd : bhtd);
        T* d = dst + (kToHeads ? bhtd : bthd);
        if (accumulate)
          for (int64_t c = 0; c < dk; ++c) d[c] += s[c];
        else
          for (int64_t c = 0; c < dk; ++c) d[c] = s[c];
      }
}

template <class T> void split_heads(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool acc) {
  permute_heads<T, true>(b, t, h, dk, src, dst, acc);
}
template <class T> void merge_heads(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool acc) {
  permute_heads<T, false>(b, t, h, dk, src, dst, acc);
}

}  // namespace
}  // namespace bf::cpu

BF_CPU_FAMILY(heads)
