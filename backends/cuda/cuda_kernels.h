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
// work queued after them. The guarantee holds only if NOTHING in the process uses another stream on the
// same memory: in particular no launch, copy or memset of the backend may go to the legacy default
// stream (a kernel launch whose configuration names no stream, or cudaMemcpy/cudaMemset without Async),
// because the non-blocking stream does not wait for it and a block released by such work could be
// overwritten while it still runs. cmake/Cuda.cmake checks the backend's sources for both at configure
// time (every triple-chevron launch names stream(); no synchronous cudaMemcpy or cudaMemset).
cudaStream_t stream();
cublasHandle_t blas();  // bound to stream(); math mode from set_cuda_tf32
const DeviceMemory& device_memory_ops();

// Launch shapes. Every launch shape is a function of the sizes alone, never of the device or of timing,
// so every reduction adds in the same order on every run (see reduce.cuh). Grid sizes are clamped, never
// truncated: gridDim.x may be at most 2^31 - 1, and a cast of a larger block count to unsigned would
// silently launch a wrapped, smaller grid. Every kernel with a clamped grid loops (grid-stride over
// elements, BF_FOR_EACH_WARP_ROW over rows, block-stride over positions), so any size is covered.
constexpr int kBlock = 256;                  // threads per block for elementwise and row kernels
constexpr int kWarp = 32;
constexpr int kRowsPerBlock = kBlock / kWarp;  // warp-per-row kernels: 8 rows per block
constexpr int64_t kMaxGridX = (int64_t(1) << 31) - 1;
inline unsigned grid_for(int64_t n) {        // grid-stride kernels: one pass, at most 65536 blocks
  return static_cast<unsigned>(std::clamp<int64_t>((n + kBlock - 1) / kBlock, 1, int64_t(1) << 16));
}
// Warp-per-row kernels: one warp per row in a single pass up to 8 (2^31 - 1) rows, then rows in turn.
inline unsigned row_grid(int64_t rows) {
  return static_cast<unsigned>(std::clamp<int64_t>((rows + kRowsPerBlock - 1) / kRowsPerBlock, 1, kMaxGridX));
}
// Block-per-item kernels (one block per embedding position): at most 2^31 - 1 blocks, then items in turn.
inline unsigned block_grid(int64_t items) { return static_cast<unsigned>(std::clamp<int64_t>(items, 1, kMaxGridX)); }

// fill_<family>_kernels(k) for every family of backends/kernel_list.h that the CUDA backend fills (not the
// optional ones), each defined in backends/cuda/<family>.cu (matmul.cpp for the cuBLAS products).
BF_KERNEL_FAMILIES(BF_DECLARE_FAMILY_FILL, T)

}  // namespace bf::cuda

// Defines a family's fill function, every entry set to the function of the same name in the file (one
// line at the end of each family file, outside any namespace).
#define BF_CUDA_FAMILY(family) BF_DEFINE_FAMILY_FILL(cuda, family)
