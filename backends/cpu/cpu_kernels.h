// Internal to backends/cpu: each family file fills its entries of the Kernels<T> table.
#pragma once
#include <cstdint>

#include "backends/kernels.h"

namespace bf::cpu {

// Loops shorter than this many elements run on one thread: forking the pool costs more than it saves.
constexpr int64_t kParallelGrain = 1 << 14;

template <class T> void fill_gemm_kernels(Kernels<T>& k);
template <class T> void fill_elementwise_kernels(Kernels<T>& k);
template <class T> void fill_activation_kernels(Kernels<T>& k);
template <class T> void fill_row_kernels(Kernels<T>& k);
template <class T> void fill_softmax_kernels(Kernels<T>& k);
template <class T> void fill_norm_kernels(Kernels<T>& k);
template <class T> void fill_embedding_kernels(Kernels<T>& k);
template <class T> void fill_permute_kernels(Kernels<T>& k);
template <class T> void fill_attention_kernels(Kernels<T>& k);
template <class T> void fill_attention_probs_kernels(Kernels<T>& k);
template <class T> void fill_optimizer_kernels(Kernels<T>& k);

}  // namespace bf::cpu

// Instantiates a family's fill function for both floating types (one line at the end of each file).
#define BF_CPU_FAMILY(fill_fn)                            \
  template void bf::cpu::fill_fn<float>(Kernels<float>&); \
  template void bf::cpu::fill_fn<double>(Kernels<double>&);
