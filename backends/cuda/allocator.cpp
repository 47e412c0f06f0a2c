// The caching device allocator, registered with core as the cuda DeviceMemory. Like the CPU one in
// core/storage.cpp: a free list per exact byte size, since training repeats the same shapes every step,
// so after the first step no tensor reaches cudaMalloc (which is slow and synchronises the device).
// Released blocks are reused without waiting: every kernel runs on the one stream (cuda_kernels.h).
// That is the allocator's one safety assumption: NOTHING touches this memory from another stream, the
// legacy default stream included (it does not order against the non-blocking stream). Every launch,
// copy and memset of the backend names stream(), and cmake/Cuda.cmake refuses to configure a backend
// source that does not; code outside the backend must not launch CUDA work on these pointers.
#include <mutex>
#include <string>

#include "backends/cuda/cuda_kernels.h"
#include "backends/cuda_control.h"
#include "core/block_cache.h"
#include "core/error.h"

namespace bf::cuda {
namespace {

struct Cache {
  std::mutex mutex;
  BlockCache blocks;  // core/block_cache.h, as the CPU allocator
  CudaAllocatorStats stats;  // bytes_cached mirrors blocks.bytes_cached()
};
Cache& cache() {
  static Cache* instance = new Cache;  // never destroyed: tensors may outlive static destructors
  return *instance;
}

void release_cached_locked(Cache& c) {
  BF_CUDA_CHECK(cudaStreamSynchronize(stream()));  // cudaFree of a block the stream may still use is unsafe
  c.blocks.drain([](void* ptr, size_t) { BF_CUDA_CHECK(cudaFree(ptr)); });
  c.stats.bytes_cached = 0;
}

void* allocate(size_t bytes) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  void* ptr = c.blocks.take(bytes);
  if (ptr) {
    c.stats.bytes_cached = c.blocks.bytes_cached();
  } else {
    const size_t request = bytes == 0 ? 1 : bytes;  // a valid, distinct pointer for empty tensors too
    cudaError_t status = cudaMalloc(&ptr, request);
    if (status == cudaErrorMemoryAllocation) {  // out of memory: hand the cache back and try once more
      cudaGetLastError();
      release_cached_locked(c);
      status = cudaMalloc(&ptr, request);
    }
    if (status != cudaSuccess) {
      const std::string call = "cudaMalloc(&ptr, " + std::to_string(bytes) + " bytes) with " +
                               std::to_string(c.stats.bytes_in_use) + " bytes in use by tensors and the cache released";
      throw_cuda_error(status, call.c_str(), __FILE__, __LINE__);
    }
    ++c.stats.device_allocations;
  }
  c.stats.bytes_in_use += bytes;
  c.stats.peak_bytes_in_use = std::max(c.stats.peak_bytes_in_use, c.stats.bytes_in_use);
  return ptr;
}

void release(void* ptr, size_t bytes) {
  Cache& c = cache();
  std::lock_guard lock(c.mutex);
  c.stats.bytes_in_use -= bytes;
  c.blocks.put(ptr, bytes);
  c.stats.bytes_cached = c.blocks.bytes_cached();
}

// Host <-> device copies wait for the stream: the host may read (D2H) or overwrite and free (H2D) its
// buffer as soon as this returns. Device-to-device copies are queued like kernels.
void copy(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes) {
  if (bytes == 0) return;
  const bool dst_host = dst_device == Device::cpu, src_host = src_device == Device::cpu;
  const cudaMemcpyKind kind = dst_host ? (src_host ? cudaMemcpyHostToHost : cudaMemcpyDeviceToHost)
                                       : (src_host ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToDevice);
  BF_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream()));
  if (dst_host || src_host) BF_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void fill_zero(void* ptr, size_t bytes) {
  if (bytes) BF_CUDA_CHECK(cudaMemsetAsync(ptr, 0, bytes, stream()));
}

const DeviceMemory kMemory{allocate, release, copy, fill_zero};

}  // namespace

const DeviceMemory& device_memory_ops() { return kMemory; }

}  // namespace bf::cuda

namespace bf {

CudaAllocatorStats cuda_allocator_stats() {
  cuda::Cache& c = cuda::cache();
  std::lock_guard lock(c.mutex);
  return c.stats;
}

void cuda_allocator_release_cached() {
  if (!device_available(Device::cuda)) return;
  cuda::Cache& c = cuda::cache();
  std::lock_guard lock(c.mutex);
  cuda::release_cached_locked(c);
}

}  // namespace bf
