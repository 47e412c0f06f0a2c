// Every CUDA runtime and cuBLAS call of the backend goes through one of these macros. A failure throws
// bf::Error naming the file, the line, the call as written, and the library's error name and string:
//   "CUDA error at backends/cuda/allocator.cpp:41: cudaMalloc(&ptr, bytes): cudaErrorMemoryAllocation (out of memory)"
// Kernel launches are checked right after the launch (BF_CUDA_CHECK_LAUNCH). Errors inside a running
// kernel surface at the next synchronising call; set BAREFORMER_CUDA_SYNC=1 to synchronise after every
// launch, so the failing kernel's own file and line are reported (slow; for debugging).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>

namespace bf::cuda {

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);
void check_launch(const char* file, int line);

}  // namespace bf::cuda

#define BF_CUDA_CHECK(call)                                                                   \
  do {                                                                                        \
    const cudaError_t bf_cuda_status_ = (call);                                               \
    if (bf_cuda_status_ != cudaSuccess) ::bf::cuda::throw_cuda_error(bf_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define BF_CUBLAS_CHECK(call)                                                                 \
  do {                                                                                        \
    const cublasStatus_t bf_cublas_status_ = (call);                                          \
    if (bf_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                           \
      ::bf::cuda::throw_cublas_error(bf_cublas_status_, #call, __FILE__, __LINE__);           \
  } while (0)

#define BF_CUDA_CHECK_LAUNCH() ::bf::cuda::check_launch(__FILE__, __LINE__)
