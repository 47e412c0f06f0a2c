// The f32 arithmetic of backends/cuda/softmax.cu's softmax and softmax_backward kernels, replayed on the
// host operation by operation, for the premise test of their tolerances (test_softmax_premise.cpp):
//   - lane l of the row's warp takes columns l, l + 32, ...: its partial max, sum and dot in that order;
//   - warp_sum / warp_max: the xor butterfly over 32 lanes (masks 16, 8, 4, 2, 1);
//   - nvcc contracts `dot += a * b` and `dx += y * (dy - dot)` into fused multiply-adds (fmaf);
//   - expf: CUDA's expf is within 2 ulp of exp (the CUDA C++ Programming Guide's table of maximum ulp
//     errors); the host's expf is moved by a random whole number of ulps in [-2, 2] to stand in for it.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/rng.h"

namespace bf::test {

inline float step_ulps(float v, int ulps) {
  for (; ulps > 0; --ulps) v = std::nextafter(v, INFINITY);
  for (; ulps < 0; ++ulps) v = std::nextafter(v, -INFINITY);
  return v;
}

template <class Op>
float butterfly(std::array<float, 32> v, Op op) {
  for (int m = 16; m > 0; m /= 2) {
    std::array<float, 32> next{};
    for (int l = 0; l < 32; ++l) next[l] = op(v[l], v[l ^ m]);
    v = next;
  }
  return v[0];  // every lane holds the same value (op commutes)
}

// y = softmax(x) per row of `cols` (causal: row r sees columns j <= r mod cols), as softmax_kernel.
inline std::vector<float> emulate_softmax(int64_t rows, int64_t cols, bool causal, const std::vector<float>& x, Rng& rng) {
  std::vector<float> y(x.size(), 0.0f);
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * cols;
    float* yr = y.data() + r * cols;
    const int64_t visible = causal ? r % cols + 1 : cols;
    std::array<float, 32> lane_max, lane_sum;
    lane_max.fill(-INFINITY);
    lane_sum.fill(0.0f);
    for (int64_t j = 0; j < visible; ++j) lane_max[j % 32] = std::fmax(lane_max[j % 32], xr[j]);
    const float m = butterfly(lane_max, [](float a, float b) { return std::fmax(a, b); });
    for (int l = 0; l < 32; ++l)
      for (int64_t j = l; j < visible; j += 32) {
        const float e = step_ulps(std::exp(xr[j] - m), static_cast<int>(rng.below(5)) - 2);
        yr[j] = e;
        lane_sum[l] += e;
      }
    const float inv = 1.0f / butterfly(lane_sum, [](float a, float b) { return a + b; });
    for (int64_t j = 0; j < cols; ++j) yr[j] = j < visible ? yr[j] * inv : 0.0f;
  }
  return y;
}

// dx += y (dy - <dy, y>) per row, as softmax_backward_kernel.
inline void emulate_softmax_backward(int64_t rows, int64_t cols, const std::vector<float>& y, const std::vector<float>& dy,
                                     std::vector<float>& dx) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* yr = y.data() + r * cols;
    const float* dyr = dy.data() + r * cols;
    std::array<float, 32> lane_dot;
    lane_dot.fill(0.0f);
    for (int l = 0; l < 32; ++l)
      for (int64_t j = l; j < cols; j += 32) lane_dot[l] = std::fma(dyr[j], yr[j], lane_dot[l]);
    const float dot = butterfly(lane_dot, [](float a, float b) { return a + b; });
    float* dxr = dx.data() + r * cols;
    for (int64_t j = 0; j < cols; ++j) dxr[j] = std::fma(yr[j], dyr[j] - dot, dxr[j]);
  }
}

}  // namespace bf::test
