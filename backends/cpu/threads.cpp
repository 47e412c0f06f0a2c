// One thread pool for everything on the CPU: our OpenMP loops and OpenBLAS (linked in its OpenMP build)
// share libgomp's pool, so the two never spin against each other.
#include <omp.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include <unistd.h>

#include <cstdlib>

#include "backends/kernels.h"

extern "C" void openblas_set_num_threads(int num_threads);

namespace bf {

static void set_flush_to_zero() {
#if defined(__x86_64__) || defined(__i386__)
  // FTZ (bit 15) and DAZ (bit 6): subnormal activations at a high learning rate otherwise cost ~2x.
  _mm_setcsr(_mm_getcsr() | 0x8040);
#endif
}

void configure_cpu_threads(int threads) {
  if (threads <= 0) threads = omp_get_num_procs();
  omp_set_num_threads(threads);
  openblas_set_num_threads(threads);
  set_flush_to_zero();
#pragma omp parallel num_threads(threads)
  set_flush_to_zero();
}

int cpu_threads() { return omp_get_max_threads(); }

void prefer_passive_openmp_wait(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
  execv("/proc/self/exe", argv);  // returns only on failure: then carry on with the default policy
}

}  // namespace bf
