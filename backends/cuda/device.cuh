// Device-side helpers shared by the .cu families: the grid-stride loop, the warp-per-row index, and
// math overloads that pick the float or double library function (expf vs exp) from the argument type.
#pragma once
#include <cstdint>

#include "backends/cuda/cuda_kernels.h"

// Grid-stride loop over [0, n): thread g of the grid (G threads in all) takes g, g + G, g + 2G, ...
#define BF_GRID_STRIDE(i, n)                                                      \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < int64_t(n); \
       i += int64_t(gridDim.x) * blockDim.x)

// Launches a grid-stride kernel over n elements on the stream (nothing when n <= 0) and checks the
// launch; the kernel's first argument is n. A macro so that errors name the launching line.
#define BF_LAUNCH_1D(kernel, n, ...)                                                         \
  do {                                                                                       \
    const int64_t bf_n_ = (n);                                                               \
    if (bf_n_ > 0) {                                                                         \
      kernel<<<::bf::cuda::grid_for(bf_n_), ::bf::cuda::kBlock, 0, ::bf::cuda::stream()>>>(bf_n_, __VA_ARGS__); \
      BF_CUDA_CHECK_LAUNCH();                                                                \
    }                                                                                        \
  } while (0)

namespace bf::cuda {

// Warp-per-row kernels: warp w of block b owns row b * kRowsPerBlock + w (then, only when there are more
// rows than the clamped grid has warps, that row plus multiples of the grid's warp count); lane l of it
// takes the columns l, l + 32, l + 64, ... Every lane of a warp holds the same r, so a warp enters and
// leaves the loop together and the shuffles inside see all 32 lanes.
__device__ inline int64_t warp_row() { return int64_t(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp; }
#define BF_FOR_EACH_WARP_ROW(r, rows) \
  for (int64_t r = ::bf::cuda::warp_row(); r < int64_t(rows); r += int64_t(gridDim.x) * ::bf::cuda::kRowsPerBlock)
__device__ inline int lane() { return static_cast<int>(threadIdx.x % kWarp); }

__device__ inline float exp_(float x) { return expf(x); }
__device__ inline double exp_(double x) { return exp(x); }
__device__ inline float log_(float x) { return logf(x); }
__device__ inline double log_(double x) { return log(x); }
__device__ inline float sqrt_(float x) { return sqrtf(x); }
__device__ inline double sqrt_(double x) { return sqrt(x); }
__device__ inline float tanh_(float x) { return tanhf(x); }
__device__ inline double tanh_(double x) { return tanh(x); }
__device__ inline float max_(float a, float b) { return fmaxf(a, b); }
__device__ inline double max_(double a, double b) { return fmax(a, b); }

template <class T> __device__ inline T neg_infinity();
template <> __device__ inline float neg_infinity<float>() { return -__int_as_float(0x7f800000); }
template <> __device__ inline double neg_infinity<double>() { return -__longlong_as_double(0x7ff0000000000000LL); }

}  // namespace bf::cuda
