// Which library the CPU GEMM entries of the kernel table call (backends/cpu/gemm.cpp), by name: the
// provenance a run records, so a timing or a result can be traced to the BLAS that produced it.
#include "backends/kernels.h"

namespace bf {

const char* gemm_provider_name() { return "openblas"; }

}  // namespace bf
