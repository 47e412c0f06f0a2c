// Head permutations [B,T,H,dk] <-> [B,H,T,dk]. Thread mapping: grid-stride over the destination's
// elements (consecutive threads write consecutive addresses); each thread reads its source element,
// so reads are contiguous within each dk-channel run.
#include "backends/cuda/device.cuh"

namespace bf::cuda {
namespace {

// split: dst [B,H,T,dk] element g = (b, h, t, c) reads src [B,T,H,dk] at (b, t, h, c).
template <class T>
__global__ void split_heads_kernel(int64_t n, int64_t Tn, int64_t H, int64_t dk, const T* src, T* dst, bool accumulate) {
  BF_GRID_STRIDE(g, n) {
    const int64_t c = g % dk, t = g / dk % Tn, h = g / (dk * Tn) % H, b = g / (dk * Tn * H);
    const T v = src[((b * Tn + t) * H + h) * dk + c];
    dst[g] = accumulate ? dst[g] + v : v;
  }
}
// merge: dst [B,T,H,dk] element g = (b, t, h, c) reads src [B,H,T,dk] at (b, h, t, c).
template <class T>
__global__ void merge_heads_kernel(int64_t n, int64_t Tn, int64_t H, int64_t dk, const T* src, T* dst, bool accumulate) {
  BF_GRID_STRIDE(g, n) {
    const int64_t c = g % dk, h = g / dk % H, t = g / (dk * H) % Tn, b = g / (dk * H * Tn);
    const T v = src[((b * H + h) * Tn + t) * dk + c];
    dst[g] = accumulate ? dst[g] + v : v;
  }
}

template <class T> void split_heads(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool acc) {
  BF_LAUNCH_1D(split_heads_kernel<T>, b * t * h * dk, t, h, dk, src, dst, acc);
}
template <class T> void merge_heads(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool acc) {
  BF_LAUNCH_1D(merge_heads_kernel<T>, b * t * h * dk, t, h, dk, src, dst, acc);
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(heads)
