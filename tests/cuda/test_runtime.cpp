// The CUDA runtime pieces outside the kernel table: tensors on the device (copies both ways, element
// access, printing), the caching allocator (steady state without cudaMalloc), error reporting, TF32.
#include <doctest/doctest.h>

#include <climits>

#include "backends/cuda_control.h"
#include "backends/kernels.h"
#include "core/tensor.h"

using bf::Device;
using bf::DType;
using bf::Tensor;

TEST_CASE("every entry of the CUDA kernel table is filled") {
  const auto check = [](const auto& k) {
    const auto* begin = reinterpret_cast<const void* const*>(&k);
    const size_t entries = sizeof(k) / sizeof(void*);
    for (size_t i = 0; i < entries; ++i) CHECK_MESSAGE(begin[i] != nullptr, "entry " << i << " is null");
  };
  check(bf::cuda_kernels<float>());
  check(bf::cuda_kernels<double>());
}

TEST_CASE("tensors move to the GPU and back unchanged; element access and printing copy") {
  bf::Rng rng(1);
  for (DType dtype : {DType::f32, DType::f64}) {
    Tensor host = Tensor::randn({3, 5}, rng, 0, 1, dtype);
    Tensor dev = host.to(Device::cuda);
    CHECK(dev.device() == Device::cuda);
    CHECK(dev.to(Device::cpu).to_f64_vector() == host.to_f64_vector());
    CHECK(dev.clone().to_f64_vector() == host.to_f64_vector());  // device-to-device copy
    CHECK(dev.at({1, 2}) == host.at({1, 2}));
    dev.set({2, 4}, 0.5);
    CHECK(dev.at({2, 4}) == 0.5);
    CHECK(dev.str().find("cuda") != std::string::npos);
    Tensor z = Tensor::zeros({4}, dtype, Device::cuda);
    CHECK(z.to_f64_vector() == std::vector<double>(4, 0.0));
    CHECK(Tensor::full({1}, 2.5, dtype, Device::cuda).item() == 2.5);
  }
  Tensor ids = Tensor::from_vector<int32_t>({3, -1, 7}, {3}, Device::cuda);
  CHECK(ids.to_vector<int32_t>() == std::vector<int32_t>{3, -1, 7});
}

TEST_CASE("the caching allocator serves repeated sizes without cudaMalloc") {
  { Tensor warm = Tensor::empty({1000, 37}, DType::f32, Device::cuda); }
  const size_t before = bf::cuda_allocator_stats().device_allocations;
  for (int i = 0; i < 10; ++i) Tensor t = Tensor::empty({1000, 37}, DType::f32, Device::cuda);
  CHECK(bf::cuda_allocator_stats().device_allocations == before);
  CHECK(bf::cuda_allocator_stats().bytes_cached >= 1000 * 37 * sizeof(float));
}

TEST_CASE("errors are bf::Error with a message, not crashes") {
  // cudaMalloc of far more than any GPU has: the allocator hands back its cache, retries, then reports.
  CHECK_THROWS_WITH_AS(Tensor::empty({int64_t(1) << 50}, DType::f32, Device::cuda), doctest::Contains("cudaMalloc"),
                       bf::Error);
  // The device still works afterwards (an out-of-memory error is not sticky).
  CHECK(Tensor::full({2}, 1.5, DType::f32, Device::cuda).to_f64_vector() == std::vector<double>{1.5, 1.5});
  // A product too large for cuBLAS's 32-bit sizes is refused before cuBLAS is called.
  Tensor a = Tensor::zeros({1}, DType::f32, Device::cuda);
  CHECK_THROWS_WITH_AS(bf::cuda_kernels<float>().gemm(false, false, int64_t(INT_MAX) + 1, 1, 1, 1.f, a.data<float>(),
                                                      a.data<float>(), 0.f, a.data<float>()),
                       doctest::Contains("cuBLAS"), bf::Error);
}

TEST_CASE("TF32 GEMMs are close to f32 ones and can be switched off again") {
  bf::Rng rng(2);
  const int64_t m = 128, n = 96, k = 256;
  Tensor a = Tensor::uniform({m, k}, rng, -1, 1, DType::f32), b = Tensor::uniform({k, n}, rng, -1, 1, DType::f32);
  auto product = [&](Device device) {
    Tensor c = Tensor::zeros({m, n}, DType::f32, device);
    Tensor da = a.to(device), db = b.to(device);
    bf::kernels<float>(device).gemm(false, false, m, n, k, 1.f, da.data<float>(), db.data<float>(), 0.f, c.data<float>());
    return c.to_f64_vector();
  };
  const std::vector<double> cpu = product(Device::cpu);
  bf::set_cuda_tf32(true);
  CHECK(bf::cuda_tf32());
  const std::vector<double> tf32 = product(Device::cuda);
  bf::set_cuda_tf32(false);
  const std::vector<double> f32 = product(Device::cuda);
  // TF32 keeps 10 mantissa bits (relative rounding 2^-11 per input): each product is off by ~1e-3 relative,
  // the sum of k = 256 of them (|sum| ~ 5) by ~5e-3 typically, ~2e-2 at the worst of 12288 elements.
  double worst_tf32 = 0, worst_f32 = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    worst_tf32 = std::max(worst_tf32, std::abs(tf32[i] - cpu[i]));
    worst_f32 = std::max(worst_f32, std::abs(f32[i] - cpu[i]));
  }
  CHECK(worst_tf32 < 1e-1);
  CHECK(worst_f32 < 1e-4);
  CHECK(!bf::cuda_tf32());
}
