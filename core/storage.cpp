#include "core/storage.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "core/block_cache.h"
#include "core/error.h"

namespace bf {
namespace {

struct CpuCache {
  std::mutex mutex;
  BlockCache blocks;
  AllocatorStats stats;  // bytes_cached mirrors blocks.bytes_cached()
};
CpuCache& cpu_cache() {
  static CpuCache* cache = new CpuCache;  // never destroyed: tensors may outlive static destructors
  return *cache;
}

constexpr size_t kAlignment = 64;

thread_local std::string t_allocation_context;

std::string binary_size(size_t bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 6) value /= 1024, ++unit;
  char text[48];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}  // one cache line, and what AVX-512 loads prefer

void* cpu_allocate(size_t bytes) {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  cache.stats.bytes_in_use += bytes;
  if (cache.stats.bytes_in_use > cache.stats.peak_bytes_in_use)
    cache.stats.peak_bytes_in_use = cache.stats.bytes_in_use;
  if (void* ptr = cache.blocks.take(bytes)) {
    cache.stats.bytes_cached = cache.blocks.bytes_cached();
    return ptr;
  }
  ++cache.stats.system_allocations;
  size_t rounded = (bytes + kAlignment - 1) / kAlignment * kAlignment;
  void* ptr = std::aligned_alloc(kAlignment, rounded == 0 ? kAlignment : rounded);
  if (!ptr) {
    cache.stats.bytes_in_use -= bytes;
    fail("cpu allocator: out of memory allocating ", bytes, " bytes (", binary_size(bytes), ")",
         AllocationContext::current().empty() ? "" : " for " + AllocationContext::current(), "; ",
         cache.stats.bytes_in_use, " bytes already in use");
  }
  return ptr;
}

void cpu_release(void* ptr, size_t bytes) {
  CpuCache& cache = cpu_cache();
  std::lock_guard lock(cache.mutex);
  cache.stats.bytes_in_use -= bytes;
  cache.blocks.put(ptr, bytes);
  cache.stats.bytes_cached = cache.blocks.bytes_cached();
}

void cpu_copy(void* dst, Device, const void* src, Device, size_t bytes) {
  if (bytes) std::memcpy(dst, src, bytes);
}
void cpu_fill_zero(void* ptr, size_t bytes) {
  if (bytes) std::memset(ptr, 0, bytes);
}

const DeviceMemory kCpuMemory{cpu_allocate, cpu_release, cpu_copy, cpu_fill_zero};

// The cuda device: a probe registered by the CUDA backend at start-up (plain pointers, so they are
// constant-initialised before any static initialiser runs), run once on first use.
const DeviceMemory* g_cuda_memory = nullptr;
DeviceProbe g_cuda_probe = nullptr;
std::once_flag g_cuda_probe_once;

std::string& cuda_unavailable_reason() {
  static std::string* reason = new std::string(
      "this bareformer was built without the CUDA backend (configure with -DBAREFORMER_CUDA=ON on a "
      "machine with nvcc)");
  return *reason;
}

void probe_cuda_once() {
  std::call_once(g_cuda_probe_once, [] {
    if (g_cuda_probe == nullptr) return;
    std::string why = g_cuda_probe();
    if (g_cuda_memory == nullptr) cuda_unavailable_reason() = why.empty() ? "the CUDA backend found no device" : why;
  });
}

}  // namespace

void register_device_probe(Device device, DeviceProbe probe) {
  BF_CHECK(device == Device::cuda, "register_device_probe: only the cuda device can be registered");
  g_cuda_probe = probe;
}

void register_device_memory(Device device, const DeviceMemory* memory) {
  BF_CHECK(device == Device::cuda, "register_device_memory: only the cuda device can be registered");
  g_cuda_memory = memory;
}

bool device_available(Device device) {
  if (device == Device::cpu) return true;
  probe_cuda_once();
  return g_cuda_memory != nullptr;
}

std::string device_unavailable_reason(Device device) {
  return device_available(device) ? std::string() : cuda_unavailable_reason();
}

const DeviceMemory& device_memory(Device device) {
  if (device == Device::cpu) return kCpuMemory;
  probe_cuda_once();
  BF_CHECK(g_cuda_memory != nullptr, "device cuda: ", cuda_unavailable_reason());
  return *g_cuda_memory;
}

AllocationContext::AllocationContext(std::string what) : previous_(std::move(t_allocation_context)) {
  t_allocation_context = std::move(what);
}
AllocationContext::~AllocationContext() { t_allocation_context = std::move(previous_); }
const std::string& AllocationContext::current() { return t_allocation_context; }

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
  cache.blocks.drain([](void* ptr, size_t) { std::free(ptr); });
  cache.stats.bytes_cached = 0;
}

}  // namespace bf
