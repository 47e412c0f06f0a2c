// The machine's fp32 FMA peak, measured: every thread runs independent chains of fused multiply-adds on
// registers only (no memory traffic), 16 chains per thread so that both FMA ports stay busy through the
// 4-cycle latency. AVX-512 (zmm, 16 lanes) and AVX2 (ymm, 8 lanes) are each measured when the CPU has
// them, chosen at run time. A GEMM cannot beat this rate; the step benchmarks report FLOP rates as a
// fraction of it. Used by bench_fma_peak, bench_op_profile and bench_train_step.
#pragma once
#include <immintrin.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

namespace bf::bench {

struct FmaPeak {
  std::string isa;  // "avx512", "avx2" or "none"
  int threads = 0;
  double gflops = 0;  // best of the runs
};

namespace fma_detail {

constexpr int kChains = 16;

__attribute__((target("avx512f"))) inline float chains_avx512(int64_t iters) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);  // stays bounded: acc -> y/(1-x)
  for (int64_t i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
  __m512 sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm512_add_ps(sum, acc[c]);
  float lanes[16];  // (not _mm512_reduce_add_ps: GCC 12 warns falsely inside it)
  _mm512_storeu_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

__attribute__((target("avx2,fma"))) inline float chains_avx2(int64_t iters) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t i = 0; i < iters; ++i)
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
  __m256 sum = acc[0];
  for (int c = 1; c < kChains; ++c) sum = _mm256_add_ps(sum, acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, sum);
  float total = 0;
  for (float v : lanes) total += v;
  return total;
}

}  // namespace fma_detail

// GFLOP/s of `threads` threads running the chains for `isa` ("avx512" or "avx2"): the best of `runs`
// timed runs of about 0.05 s each (the best, not the median: a neighbour's process can only slow a run).
inline FmaPeak measure_fma(const std::string& isa, int threads, int runs = 15) {
  using Clock = std::chrono::steady_clock;
  const int lanes = isa == "avx512" ? 16 : 8;
  const int64_t iters = 2'000'000;  // 16 chains x 2e6 = 3.2e7 FMAs per thread, ~0.05 s per run
  volatile float sink = 0;
  double best = 0;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
#pragma omp parallel num_threads(threads)
    {
      const float v = isa == "avx512" ? fma_detail::chains_avx512(iters) : fma_detail::chains_avx2(iters);
#pragma omp critical
      sink = sink + v;
    }
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    best = std::max(best, 2.0 * lanes * fma_detail::kChains * double(iters) * threads / s / 1e9);
  }
  return {isa, threads, best};
}

// The peak: the widest vectors this CPU has, on `threads` threads.
inline FmaPeak measure_fma_peak(int threads) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f")) return measure_fma("avx512", threads);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return measure_fma("avx2", threads);
  return {"none", threads, 0};
}

}  // namespace bf::bench
