// CUDA-against-CPU parity for the kernel table. A test writes its kernel call once, as a function of a
// Side (the kernel table of one device plus buffers on that device); run_parity runs it on the CPU and on
// the GPU with the same inputs and compares the outputs the function returns.
//
// Tolerances: |cuda - cpu| <= atol * max(1, max|cpu|) + rtol * |cpu| per element, i.e. atol is relative to
// the output array's scale (an element near 0 in an array of size-1 values is held to the array's scale).
//   f64: rtol = atol = 1e-12 for every kernel (the f64 bar of every CPU-against-GPU comparison);
//   f32: stated per kernel in test_kernels.cpp, chosen from the error of f32 arithmetic in a different
//        order (FMA contraction on the GPU, tree instead of sequential sums, expf/tanhf vs Eigen's).
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "backends/kernels.h"
#include "core/tensor.h"

namespace bf::test {

struct Tolerance {
  double rtol, atol;
};

template <class T>
Tolerance tolerance(Tolerance f32) {
  if constexpr (std::is_same_v<T, double>) return {1e-12, 1e-12};
  else return f32;
}

template <class T>
class Side {
 public:
  explicit Side(Device device) : device_(device), k(kernels<T>(device)) {}

  // Copies host values to this side's device; the returned pointer lives as long as the Side.
  T* put(const std::vector<T>& values) { return keep(Tensor::from_vector(values, Shape{int64_t(values.size())}, device_)).template data<T>(); }
  int32_t* ids(const std::vector<int32_t>& values) {
    return keep(Tensor::from_vector(values, Shape{int64_t(values.size())}, device_)).template data<int32_t>();
  }
  double* put_f64(const std::vector<double>& values) {
    return keep(Tensor::from_vector(values, Shape{int64_t(values.size())}, device_)).template data<double>();
  }
  // Copies a buffer made by put back to the host, as doubles.
  std::vector<double> get(const void* ptr) const {
    for (const Tensor& t : buffers_)
      if (t.raw_data() == ptr) return t.to_f64_vector();
    FAIL("parity: get() of a pointer that put() did not return");
    return {};
  }
  Device device() const { return device_; }

 private:
  Tensor& keep(Tensor t) {
    buffers_.push_back(std::move(t));
    return buffers_.back();
  }
  Device device_;
  std::vector<Tensor> buffers_;

 public:
  const Kernels<T>& k;
};

// The largest |got - want| / allowed over the elements (allowed as in parity_mismatch): <= 1 is within.
inline double parity_worst_ratio(const std::vector<double>& got, const std::vector<double>& want, Tolerance tol) {
  if (got.size() != want.size()) return INFINITY;
  double scale = 1, worst = 0;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (size_t i = 0; i < got.size(); ++i) {
    const double err = std::abs(got[i] - want[i]);
    const double ratio = err == 0 ? 0 : err / (tol.atol * scale + tol.rtol * std::abs(want[i]));
    worst = std::max(worst, std::isfinite(ratio) ? ratio : INFINITY);
  }
  return worst;
}

// "" when within tolerance, else the count of bad elements and the worst one.
inline std::string parity_mismatch(const std::vector<double>& got, const std::vector<double>& want, Tolerance tol) {
  if (got.size() != want.size()) return "size " + std::to_string(got.size()) + " != " + std::to_string(want.size());
  double scale = 1;
  for (double w : want) scale = std::max(scale, std::abs(w));
  int64_t bad = 0, worst = -1;
  double worst_ratio = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double allowed = tol.atol * scale + tol.rtol * std::abs(want[i]);
    const double err = std::abs(got[i] - want[i]);
    if (!(err <= allowed)) {
      ++bad;
      const double ratio = std::isfinite(err) ? err / allowed : INFINITY;
      if (worst < 0 || ratio > worst_ratio) worst = int64_t(i), worst_ratio = ratio;
    }
  }
  if (bad == 0) return "";
  std::ostringstream out;
  out.precision(17);
  out << bad << " of " << got.size() << " elements out of tolerance (rtol " << tol.rtol << ", atol " << tol.atol
      << " x scale " << scale << "); worst at " << worst << ": cuda " << got[worst] << " cpu " << want[worst];
  return out.str();
}

// Runs fn on both devices and checks every returned output; also runs it twice on the GPU and requires
// bitwise-equal outputs (the backend's reductions are deterministic).
template <class T>
void run_parity(const std::string& what, const std::function<std::vector<std::vector<double>>(Side<T>&)>& fn,
                Tolerance f32) {
  Side<T> cpu(Device::cpu), gpu(Device::cuda), gpu_again(Device::cuda);
  const auto want = fn(cpu);
  const auto got = fn(gpu);
  const auto again = fn(gpu_again);
  REQUIRE(got.size() == want.size());
  const Tolerance tol = tolerance<T>(f32);
  for (size_t o = 0; o < want.size(); ++o) {
    const std::string m = parity_mismatch(got[o], want[o], tol);
    CHECK_MESSAGE(m.empty(), what << " (" << (std::is_same_v<T, float> ? "f32" : "f64") << ") output " << o << ": " << m);
    CHECK_MESSAGE(got[o] == again[o], what << " output " << o << ": two GPU runs differ (not deterministic)");
  }
}

}  // namespace bf::test
