// Assembles the CUDA Kernels<T> table from the family files (the same families as backends/cpu).
#include "backends/cuda/cuda_kernels.h"
#include "core/error.h"

namespace bf {

template <class T>
static Kernels<T> build_cuda_table() {
  Kernels<T> k{};
  cuda::fill_gemm_kernels(k);
  cuda::fill_elementwise_kernels(k);
  cuda::fill_activation_kernels(k);
  cuda::fill_row_kernels(k);
  cuda::fill_softmax_kernels(k);
  cuda::fill_norm_kernels(k);
  cuda::fill_embedding_kernels(k);
  cuda::fill_permute_kernels(k);
  cuda::fill_attention_kernels(k);
  cuda::fill_optimizer_kernels(k);
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
