// Assembles the CUDA Kernels<T> table from the family files, one fill call per family of
// backends/kernel_list.h (the same families as backends/cpu, less the optional ones).
#include "backends/cuda/cuda_kernels.h"
#include "core/error.h"

namespace bf {

template <class T>
static Kernels<T> build_cuda_table() {
  Kernels<T> k{};
  BF_KERNEL_FAMILIES(BF_CALL_FAMILY_FILL, cuda)  // the optional families stay null: the ops run unfused
  return k;
}

// A bf::Error, naming why, on a machine without a GPU: the kernels need the stream and the device.
template <class T>
const Kernels<T>& cuda_kernels() {
  BF_CHECK(device_available(Device::cuda), "device cuda: ", device_unavailable_reason(Device::cuda));
  static const Kernels<T> table = build_cuda_table<T>();
  return table;
}
template const Kernels<float>& cuda_kernels<float>();
template const Kernels<double>& cuda_kernels<double>();

}  // namespace bf
