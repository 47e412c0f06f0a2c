// bench_ops: how close the engine runs to the machine's two ceilings.
//
//  (a) GEMM ceiling. The matmul op through the tape (forward + backward: grad mode on, both inputs require
//      grad, bf::backward with a seed gradient) against the kernel table's f32 gemm (the GEMM provider,
//      backends/cpu_gemm.h, called directly) doing the same three GEMMs with the same transpose flags and
//      betas (forward C = op(A) op(B), then dA += ..., dB += ... exactly as autograd/ops/matmul.cpp issues
//      them). The difference is what the engine adds: tensor allocation
//      (cached), the tape entry and closure, and seeding dL/dC (zero-fill + axpy into a [m, n] buffer).
//  (b) Memory ceiling. The softmax, layer_norm, rms_norm and gelu kernels (forward and backward, called
//      straight from the kernel table) on an f32 [8192, 1024] tensor (32 MiB, far past L2), as effective
//      GB/s against a parallel copy measured in the same run; caches are emptied before every timed run.
//
// Times are medians after warm-up runs; in (a) the raw and op runs alternate so that clock or neighbour
// drift hits both alike, and short products get more runs. Each section also prints how much CPU time
// other processes took meanwhile: on a shared 2-core machine that, not the engine, sets the noise.
#include <omp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "autograd/ops.h"
#include "autograd/tape.h"
#include "backends/cpu_gemm.h"
#include "backends/kernels.h"
#include "flags.h"
#include "core/storage.h"
#include "core/tensor.h"

namespace {

using Clock = std::chrono::steady_clock;

template <class Fn>
double time_ms(Fn&& fn) {
  const auto t0 = Clock::now();
  fn();
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double minimum(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

// How much CPU time other processes took while a section ran, as a share of all CPUs: on a 2-core
// machine a compiler on the other core halves a GEMM rate, so every table says how quiet the machine was.
class Contention {
 public:
  Contention() : start_(sample()) {}
  double other_percent() const {
    const Sample now = sample();
    const double total = now.total - start_.total, busy = now.busy - start_.busy;
    const double ours = (now.self_s - start_.self_s) * double(sysconf(_SC_CLK_TCK));
    return total > 0 ? 100.0 * std::max(0.0, busy - ours) / total : 0.0;
  }

 private:
  struct Sample {
    double total = 0, busy = 0, self_s = 0;  // jiffies over all CPUs; our own user + system seconds
  };
  static Sample sample() {
    Sample s;
    if (FILE* f = std::fopen("/proc/stat", "r")) {
      unsigned long long v[8] = {};
      if (std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                      &v[6], &v[7]) == 8) {
        for (unsigned long long x : v) s.total += double(x);
        s.busy = s.total - double(v[3]) - double(v[4]);  // minus idle and iowait
      }
      std::fclose(f);
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    s.self_s = double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return s;
  }
  Sample start_;
};

// ---------------------------------------------------------------------------------------------------
// (a) matmul through the tape vs the raw GEMM provider
// ---------------------------------------------------------------------------------------------------

struct GemmCase {
  const char* name;
  int64_t batch, m, n, k;
  bool ta, tb;
};

// The raw products: the kernel table's f32 gemm_batched (the GEMM provider the op uses, called directly,
// without tensors or the tape), which for one product is its gemm and for several runs them over the pool.
void raw_batched(int64_t batch, bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, const float* b,
                 float beta, float* c) {
  const bf::Kernels<float>& kern = bf::cpu_kernels<float>();
  if (batch == 1) kern.gemm(ta, tb, m, n, k, 1.0f, a, b, beta, c);
  else kern.gemm_batched(batch, ta, tb, m, n, k, 1.0f, a, b, beta, c);
}

// Forward and the two gradient GEMMs, flags and betas exactly as the matmul op's backward issues them.
void raw_step(const GemmCase& g, const float* A, const float* B, const float* G, float* C, float* dA, float* dB) {
  const int64_t bt = g.batch, m = g.m, n = g.n, k = g.k;
  raw_batched(bt, g.ta, g.tb, m, n, k, A, B, 0.0f, C);
  if (!g.ta) raw_batched(bt, false, !g.tb, m, k, n, G, B, 1.0f, dA);  // dA [m,k] = G op(B)^T
  else       raw_batched(bt, g.tb, true, k, m, n, B, G, 1.0f, dA);    // dA [k,m] = op(B) G^T
  if (!g.tb) raw_batched(bt, !g.ta, false, k, n, m, A, G, 1.0f, dB);  // dB [k,n] = op(A)^T G
  else       raw_batched(bt, true, g.ta, n, k, m, G, A, 1.0f, dB);    // dB [n,k] = G^T op(A)
}

bf::Shape stored_shape(const GemmCase& g, int64_t rows, int64_t cols) {
  return g.batch > 1 ? bf::Shape{g.batch, rows, cols} : bf::Shape{rows, cols};
}

std::vector<float> host_copy(const bf::Tensor& t) {
  const float* p = t.data<float>();
  return std::vector<float>(p, p + t.numel());
}

void bench_matmul(int warmup, int min_reps) {
  const GemmCase cases[] = {
      {"[2048x768] x [768x3072]", 1, 2048, 3072, 768, false, false},
      {"[2048x3072] x [3072x768]", 1, 2048, 768, 3072, false, false},
      {"[2048x768] x [768x768]", 1, 2048, 768, 768, false, false},
      {"64 x [128x64] x [64x128]", 64, 128, 128, 64, false, false},
      // The two forms the model actually issues: a linear layer (x W^T, W stored [out, in]) and Q K^T.
      {"[2048x768] x [3072x768]^T", 1, 2048, 3072, 768, false, true},
      {"64 x [128x64] x [128x64]^T", 64, 128, 128, 64, false, true},
  };
  std::printf("(a) matmul op through the tape (forward + backward) vs the same 3 raw GEMM calls, f32\n");
  std::printf("    times: medians of n runs after %d warm-up, raw and op runs alternating\n", warmup);
  std::printf("    overhead = op/raw - 1 (target < 5%%); min = the same for the fastest runs\n");
  std::printf("    seed = zero-fill + axpy of the seed into dC's fresh grad buffer, which bf::backward(c, seed)\n");
  std::printf("    does (inside op ms); excl. seed = (op - seed)/raw - 1: in training the seed is the one-element\n");
  std::printf("    loss and dC arrives from the op downstream\n\n");
  std::printf("%-28s %4s %8s %8s %8s %9s %10s %8s %8s %7s\n", "shape", "n", "raw ms", "op ms", "seed ms", "overhead",
              "excl. seed", "min", "GFLOP/s", "target");
  std::printf("%s\n", std::string(28 + 5 + 9 * 3 + 10 + 11 + 9 + 9 + 8, '-').c_str());
  const Contention contention;
  const auto& kernels = bf::kernels<float>(bf::Device::cpu);
  bf::Rng rng(7);
  for (const GemmCase& g : cases) {
    const bf::Shape a_shape = g.ta ? stored_shape(g, g.k, g.m) : stored_shape(g, g.m, g.k);
    const bf::Shape b_shape = g.tb ? stored_shape(g, g.n, g.k) : stored_shape(g, g.k, g.n);
    const bf::Shape c_shape = stored_shape(g, g.m, g.n);
    bf::Tensor a = bf::Tensor::randn(a_shape, rng, 0.0, 1.0);
    bf::Tensor b = bf::Tensor::randn(b_shape, rng, 0.0, 1.0);
    bf::Tensor seed = bf::Tensor::randn(c_shape, rng, 0.0, 1.0);
    a.set_requires_grad(true);
    b.set_requires_grad(true);

    // Raw side: its own buffers, gradients accumulated (beta = 1) like the op's leaf .grad.
    const std::vector<float> A = host_copy(a), B = host_copy(b), G = host_copy(seed);
    std::vector<float> C(c_shape.numel()), dA(A.size(), 0.0f), dB(B.size(), 0.0f);
    std::vector<float> seed_src(G), seed_dst(C.size());  // the seed timing's own buffers: it warms neither side

    auto run_op = [&] {
      bf::Tensor c = bf::matmul(a, b, g.ta, g.tb);
      bf::backward(c, seed);
    };
    auto run_raw = [&] { raw_step(g, A.data(), B.data(), G.data(), C.data(), dA.data(), dB.data()); };
    auto run_seed = [&] {  // what bf::backward does to seed: grad_of(output) (zeros), then axpy the seed in
      std::memset(seed_dst.data(), 0, seed_dst.size() * sizeof(float));
      kernels.axpy(int64_t(seed_dst.size()), 1.0f, seed_src.data(), seed_dst.data());
    };

    double warm_ms = 0;
    for (int i = 0; i < warmup; ++i) warm_ms = time_ms(run_raw) + time_ms(run_op);
    // At least min_reps; short products get more (up to 10x), about 2 s of timed work per shape.
    const int reps = std::clamp(int(2000.0 / std::max(warm_ms, 1e-3)), min_reps, 10 * min_reps);
    const size_t sys_allocs_before = bf::cpu_allocator_stats().system_allocations;
    std::vector<double> raw_t, op_t, seed_t;
    for (int i = 0; i < reps; ++i) {
      raw_t.push_back(time_ms(run_raw));
      op_t.push_back(time_ms(run_op));
      seed_t.push_back(time_ms(run_seed));  // interleaved too: timed in a loop of its own it stays in L3
    }
    const size_t sys_allocs = bf::cpu_allocator_stats().system_allocations - sys_allocs_before;

    const double raw_ms = median(raw_t), op_ms = median(op_t), seed_ms = median(seed_t);
    const double flops = 3.0 * 2.0 * double(g.batch) * double(g.m) * double(g.n) * double(g.k);
    const double overhead = 100.0 * (op_ms / raw_ms - 1.0);
    const double excl_seed = 100.0 * ((op_ms - seed_ms) / raw_ms - 1.0);
    const double min_overhead = 100.0 * (minimum(op_t) / minimum(raw_t) - 1.0);
    std::printf("%-28s %4d %8.2f %8.2f %8.2f %8.1f%% %9.1f%% %7.1f%% %8.1f %7s%s\n", g.name, reps, raw_ms, op_ms, seed_ms,
                overhead, excl_seed, min_overhead, flops / (op_ms * 1e6), overhead < 5.0 ? "ok" : "MISS",
                sys_allocs ? "  (system allocations in timed runs!)" : "");
  }
  std::printf("    other processes used %.0f%% of the CPUs during (a)\n", contention.other_percent());
  std::printf("\n");
}

// ---------------------------------------------------------------------------------------------------
// (b) memory-bound kernels vs copy bandwidth
// ---------------------------------------------------------------------------------------------------

struct KernelCase {
  const char* name;
  double bytes_per_elem;  // distinct bytes read + written per element of the [rows, cols] tensor
  const char* traffic;    // which tensors those bytes are
  std::function<void()> run;
  bool target = true;     // counted against the 50% target (diagnostic split-outs are not)
};

// Reading this much memory before each timed run leaves nothing of the operands in L2 or L3 (32 MiB here),
// so every kernel and the copy reference start from DRAM, as activations far larger than L3 do in training.
class CacheEvictor {
 public:
  explicit CacheEvictor(int64_t floats) : buffer_(size_t(floats), 1.0f) {}
  void operator()() {
    float sum = 0;
    const float* p = buffer_.data();
    const int64_t n = int64_t(buffer_.size());
#pragma omp parallel for simd schedule(static) reduction(+ : sum)
    for (int64_t i = 0; i < n; ++i) sum += p[i];
    sink_ = sink_ + sum;
  }

 private:
  std::vector<float> buffer_;
  volatile float sink_ = 0;
};

double median_ms(const std::function<void()>& fn, CacheEvictor& evict, int warmup, int reps) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    evict();
    t.push_back(time_ms(fn));
  }
  return median(t);
}

void bench_kernels(int warmup, int reps) {
  constexpr int64_t rows = 8192, cols = 1024, n = rows * cols;
  const auto& k = bf::kernels<float>(bf::Device::cpu);
  bf::Rng rng(11);
  auto make = [&](const bf::Shape& s, double mean, double sd) { return bf::Tensor::randn(s, rng, mean, sd); };
  bf::Tensor tx = make({rows, cols}, 0.0, 1.0), tdy = make({rows, cols}, 0.0, 1.0);
  bf::Tensor ty = bf::Tensor::zeros({rows, cols}), tdx = bf::Tensor::zeros({rows, cols});
  bf::Tensor tp = make({rows, cols}, 0.0, 1.0);  // softmax probabilities for the backward (filled below)
  bf::Tensor tw = make({cols}, 1.0, 0.1), tb = make({cols}, 0.0, 0.1);
  bf::Tensor tstat1 = bf::Tensor::zeros({rows}), tstat2 = bf::Tensor::zeros({rows});
  bf::Tensor tdw = bf::Tensor::zeros({cols}), tdb = bf::Tensor::zeros({cols});
  float *x = tx.data<float>(), *dy = tdy.data<float>(), *y = ty.data<float>(), *dx = tdx.data<float>();
  float *p = tp.data<float>(), *w = tw.data<float>(), *b = tb.data<float>();
  float *s1 = tstat1.data<float>(), *s2 = tstat2.data<float>(), *dw = tdw.data<float>(), *db = tdb.data<float>();
  k.softmax(rows, cols, false, x, p);
  const float eps = 1e-5f;

  CacheEvictor evict(3 * n);  // 96 MiB
  const Contention contention;

  // Copy references, both threads (the kernels use both).
  auto par_memcpy = [&] {
#pragma omp parallel
    {
      const int64_t nt = omp_get_num_threads(), id = omp_get_thread_num();
      const int64_t lo = n * id / nt, hi = n * (id + 1) / nt;
      std::memcpy(y + lo, x + lo, size_t(hi - lo) * sizeof(float));
    }
  };
  auto par_loop = [&] {
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] + 0.0f;  // "+ 0" keeps it a loop (not turned into memcpy)
  };
  auto one_memcpy = [&] { std::memcpy(y, x, size_t(n) * sizeof(float)); };
  const double bytes_f = double(n) * sizeof(float);
  const double memcpy_gbs = 2 * bytes_f / (median_ms(par_memcpy, evict, warmup, reps) * 1e6);
  const double loop_gbs = 2 * bytes_f / (median_ms(par_loop, evict, warmup, reps) * 1e6);
  const double one_gbs = 2 * bytes_f / (median_ms(one_memcpy, evict, warmup, reps) * 1e6);
  const double ref_gbs = std::max(memcpy_gbs, loop_gbs);

  const std::vector<KernelCase> cases = {
      {"softmax fwd", 2, "x, y", [&] { k.softmax(rows, cols, false, x, y); }},
      {"softmax bwd", 4, "y, dy, dx rw", [&] { k.softmax_backward(rows, cols, p, dy, dx); }},
      {"layer_norm fwd", 2, "x, y", [&] { k.layer_norm(rows, cols, eps, x, w, b, y, s1, s2); }},
      {"layer_norm bwd (dx,dw,db)", 4, "x, dy, dx rw", [&] { k.layer_norm_backward(rows, cols, x, w, s1, s2, dy, dx, dw, db); }},
      {"  - dx only", 4, "x, dy, dx rw", [&] { k.layer_norm_backward(rows, cols, x, w, s1, s2, dy, dx, nullptr, nullptr); }, false},
      {"  - dw,db only", 2, "x, dy", [&] { k.layer_norm_backward(rows, cols, x, w, s1, s2, dy, nullptr, dw, db); }, false},
      {"rms_norm fwd", 2, "x, y", [&] { k.rms_norm(rows, cols, eps, x, w, y, s1); }},
      {"rms_norm bwd (dx,dw)", 4, "x, dy, dx rw", [&] { k.rms_norm_backward(rows, cols, eps, x, w, s1, dy, dx, dw); }},
      {"  - dx only", 4, "x, dy, dx rw", [&] { k.rms_norm_backward(rows, cols, eps, x, w, s1, dy, dx, nullptr); }, false},
      {"  - dw only", 2, "x, dy", [&] { k.rms_norm_backward(rows, cols, eps, x, w, s1, dy, nullptr, dw); }, false},
      {"gelu fwd", 2, "x, y", [&] { k.gelu(n, x, y); }},
      {"gelu bwd", 4, "x, dy, dx rw", [&] { k.gelu_backward(n, x, dy, dx); }},
  };
  // Rows run in order, so each norm backward finds its own forward's statistics in s1 (and s2).

  std::printf("(b) memory-bound kernels, f32 [%lld x %lld] (%.0f MiB per tensor), kernel table called directly\n",
              static_cast<long long>(rows), static_cast<long long>(cols), bytes_f / (1 << 20));
  std::printf("    GB/s = (bytes read + bytes written) / time, each tensor counted once (the minimum traffic;\n");
  std::printf("    a kernel that reads a tensor twice shows up as lower GB/s); median of %d after %d warm-up,\n",
              reps, warmup);
  std::printf("    each timed run starting with L2 and L3 emptied (a 96 MiB read in between)\n\n");
  std::printf("    copy reference: memcpy 2 threads %.1f GB/s, copy loop 2 threads %.1f GB/s, memcpy 1 thread %.1f GB/s\n",
              memcpy_gbs, loop_gbs, one_gbs);
  std::printf("    reference = best 2-thread copy = %.1f GB/s; target >= 50%% of it\n\n", ref_gbs);
  std::printf("%-26s %-13s %9s %9s %9s %7s\n", "kernel", "traffic", "ms", "GB/s", "of copy", "target");
  std::printf("%s\n", std::string(26 + 13 + 9 * 3 + 7 + 5, '-').c_str());
  for (const KernelCase& c : cases) {
    const double ms = median_ms(c.run, evict, warmup, reps);
    const double gbs = c.bytes_per_elem * bytes_f / (ms * 1e6);
    const double frac = 100.0 * gbs / ref_gbs;
    std::printf("%-26s %-13s %9.2f %9.1f %8.0f%% %7s\n", c.name, c.traffic, ms, gbs, frac,
                c.target ? (frac >= 50.0 ? "ok" : "MISS") : "");
  }
  std::printf("    other processes used %.0f%% of the CPUs during (b)\n", contention.other_percent());
  std::printf("\n");
}

}  // namespace

int main(int argc, char** argv) {
  bf::prefer_passive_openmp_wait(argv);
  const int status = bf::bench::parse_flags(argc, argv, "bench_ops", "   (no flags; see bench/README.md)", {});
  if (status >= 0) return status;
  bf::configure_cpu_threads(0);
  std::printf("bench_ops: %d threads (bf::cpu_threads), %d processors, f32 GEMM provider %s\n\n", bf::cpu_threads(),
              omp_get_num_procs(), bf::cpu_gemm_description(bf::cpu_gemm_provider()).c_str());
  const auto t0 = Clock::now();
  bench_matmul(/*warmup=*/3, /*min_reps=*/11);
  bench_kernels(/*warmup=*/3, /*reps=*/15);
  std::printf("total %.1f s\n", std::chrono::duration<double>(Clock::now() - t0).count());
  return 0;
}
