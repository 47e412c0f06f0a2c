// Refcounted raw buffers. Storage is shared by a tensor and its reshaped views; it returns its buffer to
// a caching allocator when the last owner goes, so a training step that allocates the same sizes every
// step performs no heap allocation after the first step.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "core/device.h"

namespace bf {

// How a device's memory is obtained. The CPU one is built in; the CUDA backend registers its own.
struct DeviceMemory {
  void* (*allocate)(size_t bytes);
  void (*release)(void* ptr, size_t bytes);
  // Copies between any two devices; returns when the destination holds the data if it is host memory.
  void (*copy)(void* dst, Device dst_device, const void* src, Device src_device, size_t bytes);
  void (*fill_zero)(void* ptr, size_t bytes);
};

// How the CUDA backend plugs in. When it is built, a static initialiser (backends/cuda/runtime.cpp)
// registers a probe; the first time anything asks for the cuda device, core runs that probe once. The
// probe calls register_device_memory when a GPU is present and returns "", or returns why there is none
// ("no CUDA device (cudaGetDeviceCount: ...)"). So a CPU-only run never starts the CUDA runtime, and a
// CUDA build on a machine without a GPU behaves like a CPU-only build with a clear message.
using DeviceProbe = std::string (*)();
void register_device_probe(Device device, DeviceProbe probe);
void register_device_memory(Device device, const DeviceMemory* memory);

// bf::Error naming the reason when the device is not available (not built, or no GPU present).
const DeviceMemory& device_memory(Device device);
bool device_available(Device device);
std::string device_unavailable_reason(Device device);  // "" when available

// What is being allocated, for the out-of-memory message ("tensor 'w' of ckpt.safetensors", "training
// step 12"): set for a scope on this thread, innermost wins. Costs a string copy per scope, nothing per
// allocation.
class AllocationContext {
 public:
  explicit AllocationContext(std::string what);
  ~AllocationContext();
  AllocationContext(const AllocationContext&) = delete;
  AllocationContext& operator=(const AllocationContext&) = delete;
  static const std::string& current();  // "" outside every scope

 private:
  std::string previous_;
};

class Storage {
 public:
  Storage(size_t bytes, Device device);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t bytes() const { return bytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
  Device device_;
};

// Statistics and control of the CPU caching allocator (benchmarks read these).
struct AllocatorStats {
  size_t bytes_in_use = 0;
  size_t peak_bytes_in_use = 0;
  size_t bytes_cached = 0;
  size_t system_allocations = 0;  // calls that reached the system allocator
};
AllocatorStats cpu_allocator_stats();
void cpu_allocator_release_cached();  // hands every cached (free) buffer back to the system

}  // namespace bf
