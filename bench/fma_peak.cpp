// bench_fma_peak: the fp32 FMA peak of this machine (bench/fma_peak.h), for 1 thread and for --threads T,
// with AVX-512 and with AVX2 where the CPU has them. The last line, `fp32_fma_peak_gflops G isa threads`,
// is the peak bench/compare.sh divides model FLOP rates by: the widest vectors on T threads.
//
//   bench_fma_peak [--threads T]    (default: all cores)
#include <omp.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "fma_peak.h"

int main(int argc, char** argv) {
  int threads = omp_get_num_procs();
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::printf("usage: bench_fma_peak [--threads T]\n  T: threads for the peak (default: all %d cores)\n",
                  omp_get_num_procs());
      return 0;
    }
    if (flag == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
      if (threads >= 1) continue;
    }
    std::fprintf(stderr, "bench_fma_peak: bad or unknown argument \"%s\" (try --help)\n", argv[i]);
    return 2;
  }
  __builtin_cpu_init();
  std::printf("# bench_fma_peak: %d FMA chains per thread on registers, best of 15 runs of ~0.05 s\n",
              bf::bench::fma_detail::kChains);
  std::printf("%-8s %8s %10s\n", "isa", "threads", "gflops");
  for (const char* isa : {"avx512", "avx2"}) {
    if (std::strcmp(isa, "avx512") == 0 ? !__builtin_cpu_supports("avx512f")
                                        : !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")))
      continue;
    for (int t : {1, threads}) {
      if (t == 1 && threads == 1 && std::strcmp(isa, "avx2") == 0) continue;
      std::printf("%-8s %8d %10.1f\n", isa, t, bf::bench::measure_fma(isa, t).gflops);
      if (t == threads) break;
    }
  }
  const bf::bench::FmaPeak peak = bf::bench::measure_fma_peak(threads);
  std::printf("fp32_fma_peak_gflops %.1f %s %d\n", peak.gflops, peak.isa.c_str(), peak.threads);
  return 0;
}
