// Matrix products through OpenBLAS's cblas_?gemm; transposes are flags, never copies.
#include <cblas.h>

#include "backends/cpu/cpu_kernels.h"

namespace bf::cpu {
namespace {

// Row-major C[m,n] = alpha op(A) op(B) + beta C. Leading dimensions follow from the stored shapes:
// A stored [m,k] (lda = k) or [k,m] when transposed (lda = m); likewise B.
template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b, T beta,
          T* c) {
  if (m == 0 || n == 0) return;
  const CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans;
  const CBLAS_TRANSPOSE tb = trans_b ? CblasTrans : CblasNoTrans;
  const blasint lda = static_cast<blasint>(trans_a ? m : k);
  const blasint ldb = static_cast<blasint>(trans_b ? k : n);
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
  else
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

// Small per-head products: one OpenMP thread per product. Inside a parallel region the OpenMP build
// of OpenBLAS runs single-threaded, so the pool is shared, not oversubscribed.
template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  const T* b, T beta, T* c) {
  // Tiny products (a test's 2-head attention) stay on one thread: waking the pool costs more than they do.
  const bool worth_threads = batch > 1 && batch * m * n * k > (int64_t(1) << 18);
#pragma omp parallel for schedule(static) if (worth_threads)
  for (int64_t i = 0; i < batch; ++i)
    gemm(trans_a, trans_b, m, n, k, alpha, a + i * m * k, b + i * k * n, beta, c + i * m * n);
}

}  // namespace

template <class T>
void fill_gemm_kernels(Kernels<T>& k) {
  k.gemm = gemm<T>;
  k.gemm_batched = gemm_batched<T>;
}

}  // namespace bf::cpu

namespace bf {
BF_CPU_FAMILY(fill_gemm_kernels)
}
