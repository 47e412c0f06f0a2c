// Deterministic reductions. No atomics: every sum is a fixed tree whose shape depends on the sizes alone
// (never on the device, the number of multiprocessors or timing), so the same inputs give bitwise the same
// result on every run, and training on the GPU is reproducible step for step.
//   warp_sum / warp_max   butterfly over the 32 lanes of a warp;
//   block_sum             binary tree over the kReduceThreads threads of a block, in shared memory;
//   deterministic_sum     sum_i term(i) over i < n: fixed slices per block, then one block adds the
//                         slice totals in slice order (two launches), in double;
//   column_sums_acc       out[c] += sum_r term(r, c): fixed row chunks per column, then the chunk
//                         totals in chunk order (two launches), in double.
// Scratch buffers come from the caching allocator and go back to it as soon as the second launch is
// queued: on the one stream, whatever reuses them runs after it.
#pragma once
#include <algorithm>
#include <cstdint>

#include "backends/cuda/device.cuh"

namespace bf::cuda {

constexpr int kReduceThreads = 256;  // every reduction block has exactly this many threads (a power of two)

// Lane l adds the value of lane l ^ m for m = 16, 8, 4, 2, 1. Floating-point addition is commutative, so
// lanes l and l ^ m compute the same bits, and every lane ends with the identical total.
template <class T>
__device__ inline T warp_sum(T v) {
  for (int m = kWarp / 2; m > 0; m /= 2) v += __shfl_xor_sync(0xffffffffu, v, m);
  return v;
}
template <class T>
__device__ inline T warp_max(T v) {
  for (int m = kWarp / 2; m > 0; m /= 2) v = max_(v, __shfl_xor_sync(0xffffffffu, v, m));
  return v;
}

// Thread t holds v_t; partial[t] += partial[t + s] for s = 128, 64, ..., 1; every thread returns the total.
__device__ inline double block_sum(double v) {
  __shared__ double partial[kReduceThreads];
  partial[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kReduceThreads / 2; stride > 0; stride /= 2) {
    if (static_cast<int>(threadIdx.x) < stride) partial[threadIdx.x] += partial[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = partial[0];
  __syncthreads();  // a second call in the same kernel may overwrite partial[]
  return total;
}

// Stage-1 blocks for n terms: about 2048 terms per block, at most 512 blocks (a function of n alone).
inline int sum_blocks(int64_t n) { return static_cast<int>(std::clamp<int64_t>((n + 2047) / 2048, 1, 512)); }

// Block b owns the contiguous slice [b n / B, (b + 1) n / B); thread t of it adds slice elements t, t + 256,
// ... in order, then the block tree gives partials[b].
template <class Term>
__global__ void partial_sums(int64_t n, Term term, double* partials) {
  const int64_t blocks = gridDim.x, b = blockIdx.x;
  const int64_t begin = n * b / blocks, end = n * (b + 1) / blocks;
  double acc = 0;
  for (int64_t i = begin + threadIdx.x; i < end; i += kReduceThreads) acc += term(i);
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partials[b] = total;
}

// One block: thread t adds partials t, t + 256, ..., then the block tree; thread 0 hands the total to finish.
template <class Finish>
__global__ void finish_sum(int blocks, const double* partials, Finish finish) {
  double acc = 0;
  for (int i = static_cast<int>(threadIdx.x); i < blocks; i += kReduceThreads) acc += partials[i];
  const double total = block_sum(acc);
  if (threadIdx.x == 0) finish(total);
}

// sum_{i < n} term(i) in double, handed to finish(total) on the device (e.g. out[0] += total). n >= 1.
template <class Term, class Finish>
void deterministic_sum(int64_t n, Term term, Finish finish) {
  const int blocks = sum_blocks(n);
  Storage partials(sizeof(double) * blocks, Device::cuda);
  double* p = static_cast<double*>(partials.data());
  partial_sums<<<blocks, kReduceThreads, 0, stream()>>>(n, term, p);
  BF_CUDA_CHECK_LAUNCH();
  finish_sum<<<1, kReduceThreads, 0, stream()>>>(blocks, p, finish);
  BF_CUDA_CHECK_LAUNCH();
}

// finish functors: out[0] += total, rounded once to the output's type.
template <class T>
struct AddTotalTo {
  T* out;
  __device__ void operator()(double total) const { out[0] += static_cast<T>(total); }
};

// Row chunks for column sums: at least 32 rows per chunk, at most 64 chunks (a function of rows alone).
inline int column_chunks(int64_t rows) { return static_cast<int>(std::clamp<int64_t>(rows / 32, 1, 64)); }

// Grid (ceil(cols / 256), chunks). Thread x of block (bx, k) owns column c = bx * 256 + x and adds term(r, c)
// over the rows r of chunk k in increasing order into partial[k, c]. The 32 lanes of a warp read 32
// adjacent columns of one row, so the loads coalesce.
template <class Term>
__global__ void column_partials(int64_t rows, int64_t cols, Term term, double* partial) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  const int64_t k = blockIdx.y, chunks = gridDim.y;
  const int64_t r0 = rows * k / chunks, r1 = rows * (k + 1) / chunks;
  double acc = 0;
  for (int64_t r = r0; r < r1; ++r) acc += term(r, c);
  partial[k * cols + c] = acc;
}

// Thread c: out[c] += sum_k partial[k, c], k in increasing order.
template <class T>
__global__ void column_finish(int64_t cols, int chunks, const double* partial, T* out_acc) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  double acc = 0;
  for (int k = 0; k < chunks; ++k) acc += partial[k * cols + c];
  out_acc[c] += static_cast<T>(acc);
}

// out_acc[c] += sum_{r < rows} term(r, c) for every c < cols.
template <class T, class Term>
void column_sums_acc(int64_t rows, int64_t cols, Term term, T* out_acc) {
  if (rows == 0 || cols == 0) return;
  const int chunks = column_chunks(rows);
  Storage partial(sizeof(double) * chunks * cols, Device::cuda);
  double* p = static_cast<double*>(partial.data());
  const unsigned col_blocks = static_cast<unsigned>((cols + kReduceThreads - 1) / kReduceThreads);
  column_partials<<<dim3(col_blocks, chunks), kReduceThreads, 0, stream()>>>(rows, cols, term, p);
  BF_CUDA_CHECK_LAUNCH();
  column_finish<<<col_blocks, kReduceThreads, 0, stream()>>>(cols, chunks, p, out_acc);
  BF_CUDA_CHECK_LAUNCH();
}

}  // namespace bf::cuda
