// Assembles the CPU Kernels<T> table from the family files.
#include "backends/cpu/cpu_kernels.h"

namespace bf {

template <class T>
static Kernels<T> build_cpu_table() {
  Kernels<T> k{};
  cpu::fill_gemm_kernels(k);
  cpu::fill_elementwise_kernels(k);
  cpu::fill_activation_kernels(k);
  cpu::fill_row_kernels(k);
  cpu::fill_softmax_kernels(k);
  cpu::fill_norm_kernels(k);
  cpu::fill_embedding_kernels(k);
  cpu::fill_permute_kernels(k);
  cpu::fill_attention_kernels(k);
  cpu::fill_attention_probs_kernels(k);
  cpu::fill_optimizer_kernels(k);
  return k;
}

template <class T>
const Kernels<T>& cpu_kernels() {
  static const Kernels<T> table = build_cpu_table<T>();
  return table;
}
template const Kernels<float>& cpu_kernels<float>();
template const Kernels<double>& cpu_kernels<double>();

}  // namespace bf
