// Internal to backends/cpu: the matrix-product providers behind the table's gemm and gemm_batched.
// OpenBLAS (gemm_openblas.cpp) serves f32 and f64; oneDNN (gemm_onednn.cpp, when built with it) serves
// f32. backends/cpu/matmul.cpp picks the f32 provider and lists them all for tests and benchmarks.
#pragma once
#include <cstdint>

#include "backends/kernels.h"

namespace bf::cpu {

template <class T>
void openblas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b,
                   T beta, T* c);
template <class T>
void openblas_gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                           const T* a, const T* b, T beta, T* c);
const char* openblas_core_name();  // the kernel family OpenBLAS chose for this CPU ("Haswell", "SkylakeX", ...)

#ifdef BF_WITH_ONEDNN
void onednn_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  const float* b, float beta, float* c);
void onednn_sgemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, const float* b, float beta, float* c);
const char* onednn_version();  // "2.6.3"
#endif

// Small per-head products: one OpenMP thread per product unless they are tiny (a test's 2-head attention),
// where waking the pool costs more than the products. Both libraries run single-threaded inside a parallel
// region of the shared libgomp pool, so this never oversubscribes.
inline bool batched_worth_threads(int64_t batch, int64_t m, int64_t n, int64_t k) {
  return batch > 1 && batch * m * n * k > (int64_t(1) << 18);
}

}  // namespace bf::cpu
