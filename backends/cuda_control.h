// The few host-side controls of the CUDA backend that sit outside the kernel table. Without the backend
// (or without a GPU) each one that needs the device throws bf::Error naming the reason; see
// backends/cuda/runtime.cpp for the real ones and backends/cuda_unavailable.cpp for the stubs.
#pragma once
#include <cstddef>

namespace bf {

// Waits until every kernel and copy queued on the backend's one stream has finished (for timing).
// A no-op when the CUDA device was never used.
void cuda_synchronize();

// cuBLAS math mode for f32 GEMMs: false (default) = IEEE f32; true = TF32 tensor cores
// (CUBLAS_TF32_TENSOR_OP_MATH: inputs rounded to 10-bit mantissas, products summed in f32). f64 GEMMs
// are never affected.
void set_cuda_tf32(bool enabled);
bool cuda_tf32();

// The caching device allocator (exact-size free lists, as the CPU one in core/storage.cpp).
struct CudaAllocatorStats {
  size_t bytes_in_use = 0;
  size_t peak_bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t device_allocations = 0;  // calls that reached cudaMalloc
};
CudaAllocatorStats cuda_allocator_stats();
void cuda_allocator_release_cached();  // cudaFree of every cached (free) block

}  // namespace bf
