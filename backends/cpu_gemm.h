// The CPU backend's matrix-product providers: which library computes gemm and gemm_batched.
//   f32: oneDNN (the default build) or OpenBLAS; f64: OpenBLAS (the gradient checks' reference path).
// The f32 provider is the build's default (CMake -DBAREFORMER_GEMM=onednn|openblas) unless the environment
// variable BAREFORMER_GEMM names another one built in; it is read once, when the CPU table is first built.
#pragma once
#include <string>
#include <vector>

#include "backends/kernels.h"

namespace bf {

template <class T>
struct GemmProvider {
  const char* name;  // "onednn" or "openblas"
  BF_KERNELS_matmul(BF_KERNEL_MEMBER)  // gemm and gemm_batched, as the kernel list declares them
};

// Every provider built in for T, the build's default first: tests run each against naive loops.
template <class T>
std::vector<GemmProvider<T>> cpu_gemm_providers();

// The f32 provider for a value of BAREFORMER_GEMM (null or empty: the build's default). bf::Error naming
// the value and the choices when it is unknown or not built in.
GemmProvider<float> select_cpu_gemm_provider(const char* name);

// The name of the f32 provider the CPU table uses (builds the table if needed).
const char* cpu_gemm_provider();

// One line for benchmark tables: the provider, its library version and, for OpenBLAS, the kernel family it
// chose for this CPU, e.g. "onednn 2.6.3" or "openblas 0.3.21 core=SkylakeX".
std::string cpu_gemm_description(const std::string& name);

}  // namespace bf
