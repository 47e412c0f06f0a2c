// f32 matrix products through oneDNN's dnnl_sgemm (row-major, transposes as flags). oneDNN picks its
// kernels from the CPU's instruction set at run time (AVX-512 where present, whatever OpenBLAS would
// choose), and its Debian build threads through libgomp, the pool our own loops use: it takes
// omp_get_max_threads() threads (configure_cpu_threads sets that) and runs on one thread when called
// inside a parallel region.
#ifdef BF_WITH_ONEDNN
#include <oneapi/dnnl/dnnl.h>

#include <algorithm>
#include <cstdio>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/gemm_providers.h"
#include "core/error.h"

namespace bf::cpu {

namespace {

dnnl_status_t sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                    const float* b, float beta, float* c) {
  if (m == 0 || n == 0) return dnnl_success;
  if (k == 0) {  // dnnl_sgemm returns without touching C here; BLAS semantics are C = beta C (0 when beta = 0)
    for (int64_t i = 0; i < m * n; ++i) c[i] = beta == 0.0f ? 0.0f : beta * c[i];
    return dnnl_success;
  }
  // Leading dimensions as in OpenBLAS's row-major call: a stored [m,k] (lda = k) or [k,m] (lda = m);
  // at least 1, which oneDNN demands even when k = 0 (C = beta C, nothing of A or B is read).
  const dnnl_dim_t lda = std::max<int64_t>(1, trans_a ? m : k), ldb = std::max<int64_t>(1, trans_b ? k : n);
  return dnnl_sgemm(trans_a ? 'T' : 'N', trans_b ? 'T' : 'N', m, n, k, alpha, a, lda, b, ldb, beta, c, n);
}

// dnnl_sgemm fails only on arguments it rejects (none of ours: every size is checked by the ops) or when
// it cannot allocate its packing buffers.
void check(dnnl_status_t status, int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k) {
  BF_CHECK(status == dnnl_success, "oneDNN dnnl_sgemm failed (status ", int(status), ") for ", batch, " x ", m, "x",
           n, "x", k, trans_a ? " A^T" : "", trans_b ? " B^T" : "");
}

}  // namespace

void onednn_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                  const float* b, float beta, float* c) {
  check(sgemm(trans_a, trans_b, m, n, k, alpha, a, b, beta, c), 1, trans_a, trans_b, m, n, k);
}

// One product per thread (the attention heads): an exception may not leave a parallel region, so a failure
// is recorded and reported after it.
void onednn_sgemm_batched(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                          const float* a, const float* b, float beta, float* c) {
  int failed = int(dnnl_success);
#pragma omp parallel for schedule(static) if (batched_worth_threads(batch, m, n, k)) reduction(max : failed)
  for (int64_t i = 0; i < batch; ++i)
    failed = std::max(failed, int(sgemm(trans_a, trans_b, m, n, k, alpha, a + i * m * k, b + i * k * n, beta,
                                        c + i * m * n)));
  check(dnnl_status_t(failed), batch, trans_a, trans_b, m, n, k);
}

const char* onednn_version() {
  static char text[32];
  if (text[0] == 0) {
    const dnnl_version_t* v = dnnl_version();
    std::snprintf(text, sizeof text, "%d.%d.%d", v->major, v->minor, v->patch);
  }
  return text;
}

}  // namespace bf::cpu
#endif  // BF_WITH_ONEDNN
