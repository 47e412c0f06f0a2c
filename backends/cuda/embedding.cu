// Embedding gather and its deterministic scatter-add backward.
#include "backends/cuda/device.cuh"

namespace bf::cuda {
namespace {

// out[i, c] = table[ids[i], c]. Grid-stride over the n_ids*dim outputs; element g is (g / dim, g % dim).
template <class T> __global__ void embedding_kernel(int64_t n, int64_t dim, const int32_t* ids, const T* table, T* out) {
  BF_GRID_STRIDE(g, n) out[g] = table[int64_t(ids[g / dim]) * dim + g % dim];
}

// dtable[v, :] += sum of dout[i, :] over the positions i with ids[i] = v, in increasing i: exactly the
// CPU's order, with no atomics (so the result is deterministic, and bitwise equal to the CPU's, which adds
// the same values in the same sequence).
// Thread mapping: block b stands for positions i = b, b + G, b + 2G, ... (G = gridDim.x, one position per
// block whenever n_ids <= 2^31 - 1, the grid's limit). For each of its positions i, the block's threads
// first test, 256 earlier positions at a time, whether ids[i] already occurred before i; if so the block
// goes on to its next position (another block owns that row). The block of the FIRST occurrence of each
// id owns table row v = ids[i]: thread t takes the columns t, t + 256, ... and walks positions i, i + 1,
// ..., n - 1 in order, adding dout[j, c] where ids[j] = v, starting from the row's current value. The
// table's vocabulary size is not needed.
// Cost: O(n_ids x distinct ids) id comparisons (cached broadcast loads), fine for the token batches here
// (n_ids = B*T of a few thousand, 256 byte ids or T positions).
template <class T>
__global__ void embedding_backward_kernel(int64_t n_ids, int64_t dim, const int32_t* ids, const T* dout, T* dtable_acc) {
  for (int64_t i = blockIdx.x; i < n_ids; i += gridDim.x) {
    const int32_t v = ids[i];
    bool seen_before = false;  // the same answer in every thread of the block (__syncthreads_or)
    for (int64_t base = 0; base < i && !seen_before; base += blockDim.x) {
      const int64_t j = base + threadIdx.x;
      seen_before = __syncthreads_or(j < i && ids[j] == v);
    }
    if (seen_before) continue;
    T* row = dtable_acc + int64_t(v) * dim;
    for (int64_t c = threadIdx.x; c < dim; c += blockDim.x) {
      T acc = row[c];
      for (int64_t j = i; j < n_ids; ++j)
        if (ids[j] == v) acc += dout[j * dim + c];
      row[c] = acc;
    }
  }
}

template <class T> void embedding(int64_t n_ids, int64_t dim, const int32_t* ids, const T* table, T* out) {
  BF_LAUNCH_1D(embedding_kernel<T>, n_ids * dim, dim, ids, table, out);
}
template <class T>
void embedding_backward(int64_t n_ids, int64_t dim, const int32_t* ids, const T* dout, T* dtable_acc) {
  if (n_ids <= 0 || dim <= 0) return;
  embedding_backward_kernel<<<block_grid(n_ids), kBlock, 0, stream()>>>(n_ids, dim, ids, dout, dtable_acc);
  BF_CUDA_CHECK_LAUNCH();
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(embedding)
