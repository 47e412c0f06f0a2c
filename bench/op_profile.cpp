// bench_op_profile: where a training step's time goes, op by op (autograd/op_profile.h), for one size and
// preset of bench_train_step. Prints per op: forward calls per step, forward and backward ms per step,
// and the share of the step; then the matrix-product share (matmul + linear, forward and backward).
//
//   bench_op_profile [--size tiny|small|medium|paper] [--preset NAME] [--steps N] [--warmup W] [--threads T]
//                    [--device cpu|cuda]        (--help: usage; an unknown flag is an error)
// On the CPU it also prints the f32 GEMM provider, the fp32 FMA peak measured first on the same threads
// (bench/fma_peak.h), and the matrix products' FLOP rate over the step as a fraction of that peak: the
// products' FLOPs (forward, plus one GEMM of the same size per operand that needs a gradient) over their
// forward + backward time.
// On cuda every timestamp waits for the GPU (autograd/op_profile.h), so the profile is of a serialised step.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "autograd/op_profile.h"
#include "backends/cpu_gemm.h"
#include "bench_model.h"
#include "flags.h"
#include "fma_peak.h"
#include "autograd/tape.h"
#include "backends/kernels.h"
#include "core/storage.h"
#include "nn/gpt.h"
#include "train/optimizer.h"

using namespace bf;

int main(int argc, char** argv) {
  prefer_passive_openmp_wait(argv);
  std::string size_name = "small", preset = "pre_ln";
  std::string device_name = "cpu";
  int steps = 5, warmup = 2, threads = 0;
  const char* usage =
      "[--size tiny|small|medium|paper] [--preset NAME] [--steps N] [--warmup W] [--threads T] [--device cpu|cuda]\n"
      "  defaults: --size small --preset pre_ln --steps 5 --warmup 2 --threads 0 (all cores) --device cpu";
  const int status = bench::parse_flags(argc, argv, "bench_op_profile", usage,
                                        {{"--size", &size_name}, {"--preset", &preset}, {"--steps", nullptr, &steps},
                                         {"--warmup", nullptr, &warmup}, {"--threads", nullptr, &threads},
                                         {"--device", &device_name}});
  if (status >= 0) return status;
  const bench::Size* size = bench::find_size(size_name);
  if (!size || steps < 1 || warmup < 0 || threads < 0) {
    std::fprintf(stderr, "bench_op_profile: unknown size \"%s\" or --steps < 1, --warmup < 0, --threads < 0\n",
                 size_name.c_str());
    return 2;
  }
  configure_cpu_threads(threads);

  Device device;
  try {
    device = device_from_name(device_name);
    (void)device_memory(device);  // cuda without a GPU: the reason, before anything is built
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_op_profile: %s\n", e.what());
    return 1;
  }
  // The FMA peak first, on the threads the step uses (the CPU's; a GPU step has no such reference here).
  const bench::FmaPeak peak = device == Device::cpu ? bench::measure_fma_peak(cpu_threads()) : bench::FmaPeak{};
  ModelConfig config;
  try {
    config = bench::model_config(*size, preset);
  } catch (const Error& e) {
    std::fprintf(stderr, "bench_op_profile: %s\n", e.what());
    return 2;
  }
  Gpt model(config, 0, DType::f32, device);
  OptimConfig optim;
  Optimizer optimizer(optim, model.parameters());
  const auto [tokens, targets] = bench::random_batch(*size, device);

  double step_s = 0, gemm_flops = 0;  // per step: forward GEMMs and the gradient GEMMs each one causes
  for (int step = 0; step < warmup + steps; ++step) {
    const bool timed = step >= warmup;
    set_op_profiling(timed);
    // op_profile_now() waits for queued GPU work first, so on cuda each interval holds its own kernels.
    const double t0 = op_profile_now();
    op_profile_mark();
    model.parameters().zero_grad();
    if (timed) op_profile_add("zero_grad", op_profile_now() - t0);
    Tensor loss = model.loss(tokens, targets);
    if (step == 0)  // each input of a product that needs a gradient costs one more GEMM of the same size
      for (const TapeEntry& e : tape_entries())
        if (e.op == "matmul" || e.op == "linear")
          gemm_flops += e.flops * (1 + int(e.inputs[0].requires_grad()) + int(e.inputs[1].requires_grad()));
    op_profile_mark();  // the backward starts here
    backward(loss);
    double t1 = op_profile_now();
    const GradientReport grads = gradient_norm(model.parameters());
    if (timed) op_profile_add("gradient norm", op_profile_now() - t1);
    t1 = op_profile_now();
    optimizer.step(optim.lr, grads.norm > optim.grad_clip ? optim.grad_clip / (grads.norm + 1e-6) : 1.0);
    if (timed) op_profile_add("adamw", op_profile_now() - t1);
    if (timed) step_s += op_profile_now() - t0;
  }
  set_op_profiling(false);

  const double per_step = 1e3 / steps;
  std::printf("# bench_op_profile %s %s on %s: %d threads, %d steps after %d warm-up, %.1f ms per step\n", size->name,
              preset.c_str(), device_name.c_str(), cpu_threads(), steps, warmup, step_s * per_step);
  if (device == Device::cpu)
    std::printf("# f32 GEMM provider %s; fp32 FMA peak %.1f GFLOP/s (%s, %d threads, measured before the steps)\n",
                cpu_gemm_description(cpu_gemm_provider()).c_str(), peak.gflops, peak.isa.c_str(), peak.threads);
  const std::vector<OpTime> table = op_profile_table();
  int w = 16;  // the op column: as wide as the longest name (fused ops are named after what they fuse)
  for (const OpTime& t : table) w = std::max(w, int(t.op.size()));
  std::printf("%-*s %9s %10s %10s %10s %7s\n", w, "op", "calls", "fwd_ms", "bwd_ms", "total_ms", "share");
  double attributed = 0, gemm = 0;
  for (const OpTime& t : table) {
    const double total = t.forward_s + t.backward_s;
    attributed += total;
    if (t.op == "matmul" || t.op == "linear") gemm += total;
    std::printf("%-*s %9.1f %10.2f %10.2f %10.2f %6.1f%%\n", w, t.op.c_str(), double(t.calls) / steps,
                t.forward_s * per_step, t.backward_s * per_step, total * per_step, 100 * total / step_s);
  }
  std::printf("%-*s %9s %10s %10s %10.2f %6.1f%%\n", w, "(unattributed)", "", "", "", (step_s - attributed) * per_step,
              100 * (step_s - attributed) / step_s);
  std::printf("matrix products (matmul + linear, forward and backward): %.1f%% of the step\n", 100 * gemm / step_s);
  const double gemm_rate = gemm > 0 ? gemm_flops / (gemm * per_step / 1e3) / 1e9 : 0;
  std::printf("matrix products: %.2f GFLOP per step at %.1f GFLOP/s", gemm_flops / 1e9, gemm_rate);
  if (peak.gflops > 0) std::printf(", %.1f%% of the fp32 FMA peak", 100 * gemm_rate / peak.gflops);
  std::printf("\n");
  return 0;
}
