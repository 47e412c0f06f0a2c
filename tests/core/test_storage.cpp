// Storage and the CPU caching allocator; the cuda device without its backend.
#include <doctest/doctest.h>

#include "core/device.h"
#include "core/error.h"
#include "core/storage.h"
#include "core/tensor.h"

TEST_CASE("the CPU caching allocator reuses a freed buffer of the same size") {
  // A size no other test uses, so the first allocation must reach the system allocator.
  const int64_t n = 7919 * 3;
  const bf::AllocatorStats before = bf::cpu_allocator_stats();
  void* first_ptr = nullptr;
  {
    bf::Tensor t = bf::Tensor::zeros({n}, bf::DType::f32);
    first_ptr = t.raw_data();
    const bf::AllocatorStats during = bf::cpu_allocator_stats();
    CHECK(during.system_allocations == before.system_allocations + 1);
    CHECK(during.bytes_in_use == before.bytes_in_use + n * 4);
  }
  const bf::AllocatorStats freed = bf::cpu_allocator_stats();
  CHECK(freed.bytes_in_use == before.bytes_in_use);
  CHECK(freed.bytes_cached >= static_cast<size_t>(n * 4));
  {
    bf::Tensor again = bf::Tensor::empty({n}, bf::DType::f32);
    const bf::AllocatorStats second = bf::cpu_allocator_stats();
    CHECK(second.system_allocations == freed.system_allocations);  // did not grow
    CHECK(again.raw_data() == first_ptr);                           // the very same buffer
    CHECK(second.bytes_cached == freed.bytes_cached - n * 4);
  }
  // After release_cached, a new allocation of that size goes to the system again.
  bf::cpu_allocator_release_cached();
  CHECK(bf::cpu_allocator_stats().bytes_cached == 0);
  const size_t sys = bf::cpu_allocator_stats().system_allocations;
  {
    bf::Tensor fresh = bf::Tensor::empty({n}, bf::DType::f32);
    CHECK(bf::cpu_allocator_stats().system_allocations == sys + 1);
  }
}

TEST_CASE("peak_bytes_in_use tracks the high-water mark") {
  const size_t base = bf::cpu_allocator_stats().bytes_in_use;
  {
    bf::Tensor a = bf::Tensor::empty({1000}, bf::DType::f64);
    bf::Tensor b = bf::Tensor::empty({1000}, bf::DType::f64);
    CHECK(bf::cpu_allocator_stats().peak_bytes_in_use >= base + 16000);
  }
  CHECK(bf::cpu_allocator_stats().bytes_in_use == base);
}

TEST_CASE("Storage holds the requested bytes on the cpu") {
  bf::Storage s(96, bf::Device::cpu);
  CHECK(s.bytes() == 96);
  CHECK(s.device() == bf::Device::cpu);
  REQUIRE(s.data() != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(s.data()) % 64 == 0);  // cache-line aligned
  bf::Storage empty(0, bf::Device::cpu);
  CHECK(empty.bytes() == 0);
}

TEST_CASE("a cuda device request without the CUDA backend is a bf::Error, not a crash") {
  CHECK(bf::device_available(bf::Device::cpu));
  if (bf::device_available(bf::Device::cuda)) return;  // a CUDA build with a GPU: nothing to check here
  CHECK_THROWS_AS(bf::device_memory(bf::Device::cuda), bf::Error);
  CHECK_THROWS_AS(bf::Storage(16, bf::Device::cuda), bf::Error);
  CHECK_THROWS_AS(bf::Tensor::zeros({2, 3}, bf::DType::f32, bf::Device::cuda), bf::Error);
  CHECK_THROWS_WITH(bf::Tensor::zeros({2, 3}, bf::DType::f32, bf::Device::cuda), doctest::Contains("cuda"));
  bf::Tensor cpu = bf::Tensor::ones({4});
  CHECK_THROWS_AS(cpu.to(bf::Device::cuda), bf::Error);
  bf::Rng rng(1);
  CHECK_THROWS_AS(bf::Tensor::randn({3}, rng, 0.0, 1.0, bf::DType::f32, bf::Device::cuda), bf::Error);
}

TEST_CASE("device and dtype names round-trip; unknown names throw") {
  CHECK(bf::device_from_name("cpu") == bf::Device::cpu);
  CHECK(bf::device_from_name("cuda") == bf::Device::cuda);
  CHECK_THROWS_AS(bf::device_from_name("gpu"), bf::Error);
  CHECK(bf::dtype_from_name("f32") == bf::DType::f32);
  CHECK(bf::dtype_from_name("f64") == bf::DType::f64);
  CHECK(bf::dtype_from_name("i32") == bf::DType::i32);
  CHECK_THROWS_WITH(bf::dtype_from_name("f16"), doctest::Contains("f16"));
  CHECK(bf::dtype_size(bf::DType::f32) == 4);
  CHECK(bf::dtype_size(bf::DType::f64) == 8);
  CHECK(bf::dtype_size(bf::DType::i32) == 4);
}
