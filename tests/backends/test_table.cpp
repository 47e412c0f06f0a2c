// The kernel table itself: every entry is filled for both dtypes, and asking for a backend that is not
// built is a bf::Error, not a crash.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "core/error.h"
#include "core/storage.h"

TEST_CASE_TEMPLATE("every entry of the CPU Kernels table is non-null", T, float, double) {
  const bf::Kernels<T>& k = bf::cpu_kernels<T>();
  // Every entry of backends/kernel_list.h, the optional families included: the CPU fills them all.
#define BF_TEST_ENTRY(name, params) CHECK_MESSAGE(static_cast<bool>(k.name != nullptr), #name " is null");
  BF_KERNELS(BF_TEST_ENTRY)
#undef BF_TEST_ENTRY
  // kernels(cpu) is the CPU table.
  CHECK(&bf::kernels<T>(bf::Device::cpu) == &k);
}

TEST_CASE_TEMPLATE("the CUDA table without the CUDA backend is a bf::Error", T, float, double) {
  if (bf::device_available(bf::Device::cuda)) return;  // a CUDA build on a GPU machine: nothing to check
  CHECK_THROWS_AS(bf::cuda_kernels<T>(), bf::Error);
  CHECK_THROWS_AS(bf::kernels<T>(bf::Device::cuda), bf::Error);
  CHECK_THROWS_WITH(bf::cuda_kernels<T>(), doctest::Contains("cuda"));
}

TEST_CASE("configure_cpu_threads sets the pool size") {
  const int before = bf::cpu_threads();
  bf::configure_cpu_threads(1);
  CHECK(bf::cpu_threads() == 1);
  bf::configure_cpu_threads(before);
  CHECK(bf::cpu_threads() == before);
}
