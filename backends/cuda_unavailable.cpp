// Used when the CUDA backend is not built: asking for a cuda kernel is a clear error, not a link failure,
// and the controls of backends/cuda_control.h are no-ops or errors.
#include "backends/cuda_control.h"
#include "backends/kernels.h"
#include "core/error.h"
#include "core/storage.h"

#ifndef BAREFORMER_WITH_CUDA
namespace bf {

template <class T>
const Kernels<T>& cuda_kernels() {
  fail("device cuda: ", device_unavailable_reason(Device::cuda));
}
template const Kernels<float>& cuda_kernels<float>();
template const Kernels<double>& cuda_kernels<double>();

void cuda_synchronize() {}
void set_cuda_tf32(bool) { fail("device cuda: ", device_unavailable_reason(Device::cuda)); }
bool cuda_tf32() { return false; }
CudaAllocatorStats cuda_allocator_stats() { return {}; }
void cuda_allocator_release_cached() {}

}  // namespace bf
#endif
