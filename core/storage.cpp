#include "core/storage.h"

#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/error.h"

namespace bf {
namespace {

// A free list per exact byte size: training repeats the same shapes every step, so exact sizes hit.
struct CpuCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;
  AllocatorStats stats;
};
CpuCache& cpu_cache() {
  static CpuCache* cache = new CpuCache;  // never destroyed: tensors may outlive static destructors
  return *cache;
}

constexpr size_t kAlignment = 64;  // one cache line, and what AVX-512 loads prefer

void* cpu_allocate(size_t bytes) {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  cache.stats.bytes_in_use += bytes;
  if (cache.stats.bytes_in_use > cache.stats.peak_bytes_in_use)
    cache.stats.peak_bytes_in_use = cache.stats.bytes_in_use;
  auto it = cache.free_blocks.find(bytes);
  if (it != cache.free_blocks.end() && !it->second.empty()) {
    void* ptr = it->second.back();
    it->second.pop_back();
    cache.stats.bytes_cached -= bytes;
    return ptr;
  }
  ++cache.stats.system_allocations;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* ptr = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!ptr) fail("cpu allocator: out of memory allocating ", bytes, " bytes");
  return ptr;
}

void cpu_release(void* ptr, size_t bytes) {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  cache.stats.bytes_in_use -= bytes;
  cache.stats.bytes_cached += bytes;
  cache.free_blocks[bytes].push_back(ptr);
}

void cpu_copy(void* dst, Device, const void* src, Device, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void cpu_fill_zero(void* ptr, size_t bytes) {
  if (bytes) std::memset(ptr, 0, bytes);
}

const DeviceMemory kCpuMemory{cpu_allocate, cpu_release, cpu_copy, cpu_fill_zero};
const DeviceMemory* g_cuda_memory = nullptr;

}  // namespace

void register_device_memory(Device device, const DeviceMemory* memory) {
  BF_CHECK(device == Device::cuda, "register_device_memory: only the cuda device can be registered");
  g_cuda_memory = memory;
}

bool device_available(Device device) { return device == Device::cpu || g_cuda_memory != nullptr; }

const DeviceMemory& device_memory(Device device) {
  if (device == Device::cpu) return kCpuMemory;
  BF_CHECK(g_cuda_memory != nullptr,
           "device cuda: this bareformer was built without the CUDA backend or no GPU is present "
           "(configure with -DBAREFORMER_CUDA=ON on a machine with nvcc, and run where a GPU is visible)");
  return *g_cuda_memory;
}

Storage::Storage(size_t bytes, Device device) : bytes_(bytes), device_(device) {
  data_ = device_memory(device).allocate(bytes);
}

Storage::~Storage() {
  if (data_) device_memory(device_).release(data_, bytes_);
}

AllocatorStats cpu_allocator_stats() {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  return cache.stats;
}

void cpu_allocator_release_cached() {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  for (auto& [bytes, blocks] : cache.free_blocks)
    for (void* ptr : blocks) std::free(ptr);
  cache.free_blocks.clear();
  cache.stats.bytes_cached = 0;
}

}  // namespace bf
