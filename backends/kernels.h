// The kernel table. Every backend (backends/cpu, backends/cuda) fills a Kernels<T> table for T = float
// and T = double, so an op calls kernels<T>(device).name(...) and any kernel can be run on both backends
// and compared entry by entry. The entries, each with its formula, are listed once in backends/kernel_list.h.
//
// Conventions, the same for every entry:
//  - pointers are raw device buffers, contiguous row-major; elementwise and row kernels (add ... fill,
//    activations, add_bias) may write in place (out == an input); no other aliasing is allowed;
//  - forward kernels OVERWRITE their outputs;
//  - backward kernels ACCUMULATE (+=) into gradient buffers named d*_acc, so a tensor used by several ops
//    gets the sum of its gradients without temporaries;
//  - "rows x cols" means the tensor viewed as [rows, cols] with cols the last axis.
#pragma once
#include <cstdint>

#include "backends/kernel_list.h"
#include "core/device.h"

namespace bf {

// One pointer per entry of the kernel list (backends/kernel_list.h: each entry's parameters and formula).
template <class T>
struct Kernels {
  BF_KERNELS(BF_KERNEL_MEMBER)
};

template <class T>
const Kernels<T>& cpu_kernels();
template <class T>
const Kernels<T>& cuda_kernels();  // bf::Error when the CUDA backend is not built
template <class T>
const Kernels<T>& kernels(Device device) {
  return device == Device::cpu ? cpu_kernels<T>() : cuda_kernels<T>();
}

// Thread settings for the CPU backend: one OpenMP pool shared with OpenBLAS (its OpenMP build), and
// flush-to-zero / denormals-are-zero on every thread of it. Called once by the CLI and the tests.
void configure_cpu_threads(int threads);  // threads <= 0: all cores
int cpu_threads();

// The library behind the CPU backend's f32/f64 GEMMs ("openblas"), as the start event of a run records it.
const char* gemm_provider_name();

// Call first thing in main(). libgomp reads OMP_WAIT_POLICY once, when it loads (before main), and its
// default spins idle threads: on a machine shared with other work, every parallel region then waits
// for a descheduled spinner (a 2-layer model's step measured 1417 ms instead of 56 ms at load 4). When the
// variable is unset this sets it to PASSIVE and re-executes the program once; an explicit
// OMP_WAIT_POLICY=ACTIVE (best on an otherwise idle machine) is respected.
void prefer_passive_openmp_wait(char** argv);

}  // namespace bf
