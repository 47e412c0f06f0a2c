// Which library the CPU GEMM entries of the kernel table call (backends/cpu/matmul.cpp), by name: the
// provenance a run records, so a timing or a result can be traced to the BLAS that produced it. The f32
// provider is the one the table chose (oneDNN or OpenBLAS, backends/cpu_gemm.h); f64 always runs on OpenBLAS.
#include <string>

#include "backends/cpu_gemm.h"
#include "backends/kernels.h"

namespace bf {

const char* gemm_provider_name() {
  // e.g. "onednn 2.6.3" or "openblas 0.3.21 core=SkylakeX"; computed once.
  static const std::string name = cpu_gemm_description(cpu_gemm_provider());
  return name.c_str();
}

}  // namespace bf
