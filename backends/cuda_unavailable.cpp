// Used when the CUDA backend is not built: asking for a cuda kernel is a clear error, not a link failure.
#include "backends/kernels.h"
#include "core/error.h"

#ifndef BAREFORMER_WITH_CUDA
namespace bf {
template <class T>
const Kernels<T>& cuda_kernels() {
  fail("device cuda: this bareformer was built without the CUDA backend (configure with -DBAREFORMER_CUDA=ON)");
}
template const Kernels<float>& cuda_kernels<float>();
template const Kernels<double>& cuda_kernels<double>();
}  // namespace bf
#endif
