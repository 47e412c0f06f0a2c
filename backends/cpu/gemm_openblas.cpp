// Matrix products through OpenBLAS's cblas_?gemm; transposes are flags, never copies. The f64 provider
// (gradient checks) and a selectable f32 one. Its speed depends on the kernel family OpenBLAS picks for
// the CPU, which OPENBLAS_CORETYPE can override (openblas_core_name() says which one it took).
#include <cblas.h>

#include <type_traits>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/gemm_providers.h"

extern "C" char* openblas_get_corename(void);

namespace bf::cpu {

// Row-major C[m,n] = alpha op(A) op(B) + beta C. Leading dimensions follow from the stored shapes:
// A stored [m,k] (lda = k) or [k,m] when transposed (lda = m); likewise B.
template <class T>
void openblas_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b,
                   T beta, T* c) {
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

template <class T>
void openblas_gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                           const T* a, const T* b, T beta, T* c) {
#pragma omp parallel for schedule(static) if (batched_worth_threads(batch, m, n, k))
  for (int64_t i = 0; i < batch; ++i)
    openblas_gemm(trans_a, trans_b, m, n, k, alpha, a + i * m * k, b + i * k * n, beta, c + i * m * n);
}

const char* openblas_core_name() { return openblas_get_corename(); }

#define BF_OPENBLAS_INSTANTIATE(T)                                                                              \
  template void openblas_gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, const T*, T, T*);        \
  template void openblas_gemm_batched<T>(int64_t, bool, bool, int64_t, int64_t, int64_t, T, const T*, const T*, \
                                         T, T*);
BF_OPENBLAS_INSTANTIATE(float)
BF_OPENBLAS_INSTANTIATE(double)
#undef BF_OPENBLAS_INSTANTIATE

}  // namespace bf::cpu
