// Assembles the CPU Kernels<T> table from the family files, one fill call per family of backends/kernel_list.h.
#include "backends/cpu/cpu_kernels.h"

namespace bf {

template <class T>
static Kernels<T> build_cpu_table() {
  Kernels<T> k{};
  BF_KERNEL_FAMILIES(BF_CALL_FAMILY_FILL, cpu)
  BF_OPTIONAL_KERNEL_FAMILIES(BF_CALL_FAMILY_FILL, cpu)  // the CPU fills the optional families too
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
