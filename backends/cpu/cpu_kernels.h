// Internal to backends/cpu: each family file fills its entries of the Kernels<T> table.
#pragma once
#include <cstdint>

#include "backends/kernels.h"

namespace bf::cpu {

// Loops shorter than this many elements run on one thread: forking the pool costs more than it saves.
constexpr int64_t kParallelGrain = 1 << 14;

// fill_<family>_kernels(k) for every family of backends/kernel_list.h, each defined in backends/cpu/<family>.cpp.
BF_KERNEL_FAMILIES(BF_DECLARE_FAMILY_FILL, T)
BF_OPTIONAL_KERNEL_FAMILIES(BF_DECLARE_FAMILY_FILL, T)

}  // namespace bf::cpu

// Defines a family's fill function, every entry set to the function of the same name in the file (one
// line at the end of each family file, outside any namespace).
#define BF_CPU_FAMILY(family) BF_DEFINE_FAMILY_FILL(cpu, family)
