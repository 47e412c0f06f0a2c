// Internal to backends/cuda: the one stream and cuBLAS handle, launch shapes, and the family fill
// functions (each .cu file fills its entries of the Kernels<T> table, as backends/cpu does).
#pragma once
#include <algorithm>
#include <cstdint>

#include "backends/cuda/check.h"
#include "backends/kernels.h"
#include "core/storage.h"

namespace bf::cuda {

// All work goes on this one stream, in issue order. That order is what makes the caching allocator safe
// without events: a buffer released while kernels that use it are still queued can only be handed to
// work queued after them.
cudaStream_t stream();
cublasHandle_t blas();  // bound to stream(); math mode from set_cuda_tf32
const DeviceMemory& device_memory_ops();

// Launch shapes. Every launch shape is a function of the sizes alone, never of the device or of timing,
// so every reduction adds in the same order on every run (see reduce.cuh).
constexpr int kBlock = 256;                  // threads per block for elementwise and row kernels
constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kBlock / kWarp;  // warp-per-row kernels: 8 rows per block
inline unsigned grid_for(int64_t n) {        // grid-stride kernels: one pass, at most 65536 blocks
  return static_cast<unsigned>(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, int64_t(1) << 16));
}
inline unsigned row_grid(int64_t rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }

template <class T> void fill_gemm_kernels(Kernels<T>& k);
template <class T> void fill_elementwise_kernels(Kernels<T>& k);
template <class T> void fill_activation_kernels(Kernels<T>& k);
template <class T> void fill_row_kernels(Kernels<T>& k);
template <class T> void fill_softmax_kernels(Kernels<T>& k);
template <class T> void fill_norm_kernels(Kernels<T>& k);
template <class T> void fill_embedding_kernels(Kernels<T>& k);
template <class T> void fill_permute_kernels(Kernels<T>& k);
template <class T> void fill_attention_kernels(Kernels<T>& k);
template <class T> void fill_optimizer_kernels(Kernels<T>& k);

}  // namespace bf::cuda

// Instantiates a family's fill function for both floating types (one line at the end of each file).
#define BF_CUDA_FAMILY(fill_fn)                            \
  template void bf::cuda::fill_fn<float>(Kernels<float>&); \
  template void bf::cuda::fill_fn<double>(Kernels<double>&);
