// Shaped attention's combination A' = alpha I + beta A - gamma C, per head (paper Eq. 5; Eq. 4 without C),
// and its backward.
#include "backends/cuda/reduce.cuh"

namespace bf::cuda {
namespace {

// out[b,h,i,j] = beta_h A[b,h,i,j] - gamma_h C[i,j] + alpha_h 1[i == j] (the CPU's order of terms).
// Grid-stride over the batch*heads*t*t elements; element g is (bh, i, j) = (g / t^2, g / t % t, g % t).
template <class T>
__global__ void attention_mix_kernel(int64_t n, int64_t heads, int64_t t, const T* a, const T* alpha, const T* beta,
                                     const T* gamma, const T* c, T* out) {
  BF_GRID_STRIDE(g, n) {
    const int64_t j = g % t, i = g / t % t, h = g / (t * t) % heads;
    T v = beta[h] * a[g];
    if (gamma) v -= gamma[h] * c[i * t + j];
    if (i == j) v += alpha[h];
    out[g] = v;
  }
}

// dA += beta_h dOut, grid-stride over the elements.
template <class T>
__global__ void attention_mix_da_kernel(int64_t n, int64_t heads, int64_t t, const T* beta, const T* dout, T* da_acc) {
  BF_GRID_STRIDE(g, n) da_acc[g] += beta[g / (t * t) % heads] * dout[g];
}

// Per-head sums for dalpha, dbeta, dgamma. Head h's E = batch*t*t elements, numbered e = b t^2 + i t + j,
// are cut into `chunks` fixed slices; block (k, h) adds slice k (thread x takes slice elements x, x + 256, ...
// then the block tree) into partial[(h chunks + k) * 3 + q], q = alpha, beta, gamma.
template <class T>
__global__ void attention_mix_partials_kernel(int64_t batch, int64_t heads, int64_t t, const T* a, const T* c,
                                              const T* dout, double* partial) {
  const int64_t k = blockIdx.x, chunks = gridDim.x, h = blockIdx.y;
  const int64_t tt = t * t, E = batch * tt;
  const int64_t begin = E * k / chunks, end = E * (k + 1) / chunks;
  double dalpha = 0, dbeta = 0, dgamma = 0;
  for (int64_t e = begin + threadIdx.x; e < end; e += kReduceThreads) {
    const int64_t b = e / tt, ij = e % tt, i = ij / t, j = ij % t;
    const int64_t g = (b * heads + h) * tt + ij;
    const double d = static_cast<double>(dout[g]);
    if (i == j) dalpha += d;
    dbeta += d * static_cast<double>(a[g]);
    if (c) dgamma -= d * static_cast<double>(c[ij]);
  }
  dalpha = block_sum(dalpha);
  dbeta = block_sum(dbeta);
  dgamma = block_sum(dgamma);
  if (threadIdx.x == 0) {
    double* p = partial + (h * chunks + k) * 3;
    p[0] = dalpha, p[1] = dbeta, p[2] = dgamma;
  }
}

// Thread h adds head h's slice partials in slice order into the wanted gradients.
template <class T>
__global__ void attention_mix_finish_kernel(int64_t heads, int chunks, const double* partial, T* dalpha_acc,
                                            T* dbeta_acc, T* dgamma_acc) {
  const int64_t h = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (h >= heads) return;
  double sum[3] = {0, 0, 0};
  for (int k = 0; k < chunks; ++k)
    for (int q = 0; q < 3; ++q) sum[q] += partial[(h * chunks + k) * 3 + q];
  if (dalpha_acc) dalpha_acc[h] += static_cast<T>(sum[0]);
  if (dbeta_acc) dbeta_acc[h] += static_cast<T>(sum[1]);
  if (dgamma_acc) dgamma_acc[h] += static_cast<T>(sum[2]);
}

template <class T>
void attention_mix(int64_t batch, int64_t heads, int64_t t, const T* a, const T* alpha, const T* beta, const T* gamma,
                   const T* c, T* out) {
  BF_LAUNCH_1D(attention_mix_kernel<T>, batch * heads * t * t, heads, t, a, alpha, beta, gamma, c, out);
}

template <class T>
void attention_mix_backward(int64_t batch, int64_t heads, int64_t t, const T* a, const T* beta, const T* c,
                            const T* dout, T* da_acc, T* dalpha_acc, T* dbeta_acc, T* dgamma_acc) {
  const int64_t n = batch * heads * t * t;
  if (n <= 0) return;
  if (da_acc) BF_LAUNCH_1D(attention_mix_da_kernel<T>, n, heads, t, beta, dout, da_acc);
  if (!dalpha_acc && !dbeta_acc && !dgamma_acc) return;
  // About 4096 elements per slice, at most 64 slices per head: a function of the sizes alone.
  const int chunks = static_cast<int>(std::clamp<int64_t>(batch * t * t / 4096, 1, 64));
  Storage partial(sizeof(double) * 3 * chunks * heads, Device::cuda);
  double* p = static_cast<double*>(partial.data());
  attention_mix_partials_kernel<<<dim3(chunks, static_cast<unsigned>(heads)), kReduceThreads, 0, stream()>>>(
      batch, heads, t, a, c, dout, p);
  BF_CUDA_CHECK_LAUNCH();
  attention_mix_finish_kernel<<<static_cast<unsigned>((heads + kBlock - 1) / kBlock), kBlock, 0, stream()>>>(
      heads, chunks, p, dalpha_acc, dbeta_acc, dgamma_acc);
  BF_CUDA_CHECK_LAUNCH();
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(attention_mix)
