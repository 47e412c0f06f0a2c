// Exact-size free lists, the cache behind both caching allocators (the CPU one in core/storage.cpp, the
// CUDA one in backends/cuda/allocator.cpp). A released buffer waits in the list of its byte size and the
// next request of that size takes it back: a training step repeats its shapes, so after the first step
// no tensor reaches the system allocator. Not thread-safe by itself: each allocator holds its own mutex.
#pragma once
#include <cstddef>
#include <unordered_map>
#include <vector>

namespace bf {

class BlockCache {
 public:
  // A cached buffer of exactly `bytes`, or nullptr when there is none.
  void* take(size_t bytes) {
    auto it = free_.find(bytes);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* ptr = it->second.back();
    it->second.pop_back();
    bytes_cached_ -= bytes;
    return ptr;
  }
  void put(void* ptr, size_t bytes) {
    free_[bytes].push_back(ptr);
    bytes_cached_ += bytes;
  }
  // Hands every cached buffer to free_buffer(ptr, bytes) and empties the cache.
  template <class FreeBuffer>
  void drain(FreeBuffer&& free_buffer) {
    for (auto& [bytes, blocks] : free_)
      for (void* ptr : blocks) free_buffer(ptr, bytes);
    free_.clear();
    bytes_cached_ = 0;
  }
  size_t bytes_cached() const { return bytes_cached_; }

 private:
  std::unordered_map<size_t, std::vector<void*>> free_;
  size_t bytes_cached_ = 0;
};

}  // namespace bf
