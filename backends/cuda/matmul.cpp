// Matrix products through cuBLAS; transposes are flags, never copies.
//
// The kernel table is row-major, cuBLAS column-major. A row-major [r, c] array read as column-major (leading
// dimension c) is the transposed matrix [c, r]. So instead of C = op(A) op(B) (row-major, [m, n]) we ask
// cuBLAS for the column-major product
//     C^T [n, m] = op(B)^T [n, k]  op(A)^T [k, m],
// whose result, stored column-major with ldc = n, is exactly row-major C. Operand by operand:
//   first  = B: stored [k, n] (no trans_b): its column-major view is op(B)^T already   -> CUBLAS_OP_N, ld n
//               stored [n, k] (trans_b):    its view is op(B), so transpose it         -> CUBLAS_OP_T, ld k
//   second = A: stored [m, k] (no trans_a): view is op(A)^T                            -> CUBLAS_OP_N, ld k
//               stored [k, m] (trans_a):    view is op(A)                              -> CUBLAS_OP_T, ld m
// Batched: the same with strides k*n (B), m*k (A), m*n (C) between consecutive products.
#include <climits>
#include <type_traits>

#include "backends/cuda/cublas_api.h"
#include "backends/cuda/cuda_kernels.h"
#include "core/error.h"

namespace bf::cuda {
namespace {

int as_int(int64_t v, const char* what) {
  BF_CHECK(v >= 0 && v <= INT_MAX, "cuda gemm: ", what, " = ", v, " exceeds cuBLAS's 32-bit sizes");
  return static_cast<int>(v);
}

// k = 0: C = beta C (an empty sum), done by the table's own scale/fill rather than relying on cuBLAS.
template <class T>
void scale_only(int64_t n, T beta, T* c) {
  const Kernels<T>& k = cuda_kernels<T>();
  if (beta == T(0)) k.fill(n, T(0), c);
  else k.scale(n, beta, c, c);
}

template <class T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b, T beta,
          T* c) {
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_only(m * n, beta, c);
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int M = as_int(m, "m"), N = as_int(n, "n"), K = as_int(k, "k");
  const int ldb = trans_b ? K : N, lda = trans_a ? M : K;
  if constexpr (std::is_same_v<T, float>)
    BF_CUBLAS_CHECK(cublas().sgemm(blas(), op_b, op_a, N, M, K, &alpha, b, ldb, a, lda, &beta, c, N));
  else
    BF_CUBLAS_CHECK(cublas().dgemm(blas(), op_b, op_a, N, M, K, &alpha, b, ldb, a, lda, &beta, c, N));
}

template <class T>
void gemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                  const T* b, T beta, T* c) {
  if (batch == 0 || m == 0 || n == 0) return;
  if (k == 0) return scale_only(batch * m * n, beta, c);
  const cublasOperation_t op_b = trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, op_a = trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int M = as_int(m, "m"), N = as_int(n, "n"), K = as_int(k, "k"), count = as_int(batch, "batch");
  const int ldb = trans_b ? K : N, lda = trans_a ? M : K;
  const long long stride_a = m * k, stride_b = k * n, stride_c = m * n;
  if constexpr (std::is_same_v<T, float>)
    BF_CUBLAS_CHECK(cublas().sgemm_strided_batched(blas(), op_b, op_a, N, M, K, &alpha, b, ldb, stride_b, a, lda, stride_a,
                                              &beta, c, N, stride_c, count));
  else
    BF_CUBLAS_CHECK(cublas().dgemm_strided_batched(blas(), op_b, op_a, N, M, K, &alpha, b, ldb, stride_b, a, lda, stride_a,
                                              &beta, c, N, stride_c, count));
}

}  // namespace
}  // namespace bf::cuda

BF_CUDA_FAMILY(matmul)
