// bench_train_step: times whole training steps of bareformer (forward, backward, gradient clipping,
// AdamW) after warm-up and prints one row per (size, preset):
//
//   engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm
//   peak_mib estimate_mib gemm
//
// Definitions (the same in bench/torch_step.py):
//   engine               = bareformer (CPU), bareformer-cuda, bareformer-cuda-tf32 (--device cuda [--tf32 1])
//   tokens per step      = batch * T
//   model FLOPs per step = 6 N_mm tokens + 12 L T d tokens, N_mm = weights used in matrix products (the
//                          tied head once, positions not), 12 L T d = Q K^T and A' V, forward + backward
//   sgemm_gflops         = the GEMM at the representative shape [batch*T, d] x [d, 4d]: the table's f32 gemm
//                          (the GEMM provider the step uses) with the same threads (CPU), the table's
//                          cuBLAS gemm in the same math mode (cuda)
//   peak_mib             = CPU: peak resident memory of this process (each config runs in its own process);
//                          cuda: peak device memory held by tensors (the caching allocator's bytes in use)
//   estimate_mib         = 16 bytes per parameter (value, gradient, AdamW m and v) + the activations the
//                          tape keeps (sum over tape entries of output bytes + saved bytes)
//   gemm                 = the f32 GEMM provider, '/' for spaces: onednn/2.6.3, openblas/0.3.21/core=Haswell
//                          (the kernel family OpenBLAS took), cublas (cuda)
// On cuda every timed step ends with cuda_synchronize(), so the time is the GPU's, not the launch queue's.
// Sizes: tiny, small, medium (CPU scale; "all" runs these) and paper, the paper's headline model
// (18 layers, d 768, 12 heads, T 128, batch 32), for the GPU.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/tape.h"
#include "bench_model.h"
#include "flags.h"
#include "backends/cpu_gemm.h"
#include "backends/cuda_control.h"
#include "backends/kernels.h"
#include "nn/describe.h"
#include "nn/gpt.h"
#include "train/optimizer.h"

using namespace bf;
using Clock = std::chrono::steady_clock;

namespace {

using bench::kCpuSizes;
using bench::kSizes;
using bench::Size;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double sgemm_gflops(int64_t m, int64_t k, int64_t n, Device device) {
  std::vector<double> times;
  if (device == Device::cuda) {  // random operands: zeros can run faster than real data on a GPU
    Rng rng(5);
    Tensor a = Tensor::uniform({m, k}, rng, -1, 1, DType::f32, device), b = Tensor::uniform({k, n}, rng, -1, 1, DType::f32, device);
    Tensor c = Tensor::empty({m, n}, DType::f32, device);
    const Kernels<float>& kern = kernels<float>(device);
    for (int i = 0; i < 23; ++i) {
      cuda_synchronize();
      auto t0 = Clock::now();
      kern.gemm(false, false, m, n, k, 1.0f, a.data<float>(), b.data<float>(), 0.0f, c.data<float>());
      cuda_synchronize();
      if (i >= 3) times.push_back(seconds(t0, Clock::now()));
    }
    return 2.0 * m * n * k / median(times) / 1e9;
  }
  Rng rng(5);
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (float& x : a) x = float(rng.uniform(-1, 1));
  for (float& x : b) x = float(rng.uniform(-1, 1));
  const Kernels<float>& kern = kernels<float>(Device::cpu);
  for (int i = 0; i < 23; ++i) {
    auto t0 = Clock::now();
    kern.gemm(false, false, m, n, k, 1.0f, a.data(), b.data(), 0.0f, c.data());
    if (i >= 3) times.push_back(seconds(t0, Clock::now()));
  }
  return 2.0 * m * n * k / median(times) / 1e9;
}

void run_one(const Size& size, const std::string& preset, int steps, int warmup, Device device, bool tf32) {
  if (device == Device::cuda) set_cuda_tf32(tf32);
  Gpt model(bench::model_config(size, preset), 0, DType::f32, device);
  OptimConfig optim;  // the paper's AdamW: lr 1e-3, betas (0.9, 0.999), wd 0.1, clip 1
  Optimizer optimizer(optim, model.parameters());
  const auto [tokens, targets] = bench::random_batch(size, device);

  int64_t activation_bytes = 0;
  std::vector<double> times;
  for (int step = 0; step < warmup + steps; ++step) {
    auto t0 = Clock::now();
    model.parameters().zero_grad();
    Tensor loss = model.loss(tokens, targets);
    if (step == 0)
      for (const TapeEntry& e : tape_entries()) activation_bytes += int64_t(e.output.nbytes()) + e.saved_bytes;
    backward(loss);
    const GradientReport grads = gradient_norm(model.parameters());
    optimizer.step(optim.lr, grads.norm > optim.grad_clip ? optim.grad_clip / (grads.norm + 1e-6) : 1.0);
    if (device == Device::cuda) cuda_synchronize();
    if (step >= warmup) times.push_back(seconds(t0, Clock::now()));
  }
  const double tokens_per_step = double(size.batch) * size.t;
  const double flops = 6.0 * double(matmul_parameter_count(model)) * tokens_per_step +
                       12.0 * size.layers * double(size.t) * size.d * tokens_per_step;
  const double med = median(times);
  const double model_rate = flops / med / 1e9;
  const double gemm_rate = sgemm_gflops(int64_t(size.batch) * size.t, size.d, 4 * size.d, device);
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const double peak_mib = device == Device::cuda ? double(cuda_allocator_stats().peak_bytes_in_use) / (1 << 20)
                                                 : usage.ru_maxrss / 1024.0;
  const double estimate = (16.0 * double(model.parameters().count()) + double(activation_bytes)) / (1 << 20);
  const char* engine = device == Device::cpu ? "bareformer" : tf32 ? "bareformer-cuda-tf32" : "bareformer-cuda";
  std::string gemm = device == Device::cuda ? "cublas" : cpu_gemm_description(cpu_gemm_provider());
  std::replace(gemm.begin(), gemm.end(), ' ', '/');
  std::printf("%s %s %s %lld %.2f %.2f %.2f %.0f %.1f %.1f %.3f %.1f %.1f %s\n", engine, size.name, preset.c_str(),
              static_cast<long long>(model.parameters().count()), 1e3 * med,
              1e3 * *std::min_element(times.begin(), times.end()), 1e3 * *std::max_element(times.begin(), times.end()),
              tokens_per_step / med, model_rate, gemm_rate, model_rate / gemm_rate, peak_mib, estimate, gemm.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  prefer_passive_openmp_wait(argv);
  std::string size_arg = "all", preset_arg = "all", device_arg = "cpu";
  int steps = 20, warmup = 3, threads = 2, tf32 = 0;
  const int status = bench::parse_flags(
      argc, argv, "bench_train_step",
      "[--size tiny|small|medium|paper|all] [--preset pre_ln|sas_p|all] [--steps N] [--warmup W] [--threads T] "
      "[--device cpu|cuda] [--tf32 0|1]\n  defaults: --size all --preset all --steps 20 --warmup 3 --threads 2",
      {{"--size", &size_arg}, {"--preset", &preset_arg}, {"--steps", nullptr, &steps}, {"--warmup", nullptr, &warmup},
       {"--threads", nullptr, &threads}, {"--device", &device_arg}, {"--tf32", nullptr, &tf32}});
  if (status >= 0) return status;
  if ((size_arg != "all" && !bench::find_size(size_arg)) || steps < 1 || warmup < 0 || threads < 0) {
    std::fprintf(stderr, "bench_train_step: unknown size \"%s\" or --steps < 1, --warmup < 0, --threads < 0\n",
                 size_arg.c_str());
    return 2;
  }
  if (preset_arg != "all") {
    try {
      (void)preset_model(preset_arg);
    } catch (const Error& e) {
      std::fprintf(stderr, "bench_train_step: %s\n", e.what());
      return 2;
    }
  }
  Device device;
  try {
    device = device_from_name(device_arg);
    BF_CHECK(device_available(device), "device ", device_arg, ": ", device_unavailable_reason(device));
    BF_CHECK(!tf32 || device == Device::cuda, "--tf32 1 needs --device cuda");
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_train_step: %s\n", e.what());
    return 2;
  }
  const bool single = size_arg != "all" && preset_arg != "all";
  if (single) {
    configure_cpu_threads(threads);
    for (const Size& s : kSizes)
      if (size_arg == s.name) run_one(s, preset_arg, steps, warmup, device, tf32 != 0);
    return 0;
  }
  // Every (size, preset) in its own process, so peak memory is per configuration.
  std::printf("engine config preset params median_ms min_ms max_ms tokens_per_s model_gflops sgemm_gflops frac_sgemm "
              "peak_mib estimate_mib gemm\n");
  std::fflush(stdout);
  for (int si = 0; si < int(std::size(kSizes)); ++si) {
    const Size& s = kSizes[si];
    if (size_arg == "all" ? si >= kCpuSizes : size_arg != s.name) continue;
    for (const char* p : {"pre_ln", "sas_p"}) {
      if (preset_arg != "all" && preset_arg != p) continue;
      const std::string steps_text = std::to_string(steps), warmup_text = std::to_string(warmup),
                        threads_text = std::to_string(threads), tf32_text = std::to_string(tf32);
      pid_t child = fork();
      if (child == 0) {
        execl("/proc/self/exe", argv[0], "--size", s.name, "--preset", p, "--steps", steps_text.c_str(), "--warmup",
              warmup_text.c_str(), "--threads", threads_text.c_str(), "--device", device_arg.c_str(), "--tf32",
              tf32_text.c_str(), static_cast<char*>(nullptr));
        _exit(127);
      }
      int status = 0;
      waitpid(child, &status, 0);
    }
  }
  return 0;
}
