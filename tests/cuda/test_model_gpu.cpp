// The whole model, every preset, CPU against CUDA: the same seed gives the same parameters on both
// devices (initial values are drawn on the host), then logits, loss and every parameter's gradient are
// compared, each tensor relative to its own scale (max |value|):
//   f64: logits and loss to 1e-10, gradients to 1e-10 (as the oracle test holds the CPU to PyTorch);
//   f32: logits and loss to 1e-4, gradients to 1e-3 (looser than the oracle's tiny d = 8 model: here d = 64
//        with parameters of spread 0.3 gives larger activations and longer sums, and two different f32
//        summation orders each carry rounding of about sqrt(k) * 6e-8 per product; the f64 run is the
//        sharp check).
// Parameters are randomised away from the presets' special initial values (zero queries, unit gains), so
// every path carries gradient.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/tape.h"
#include "nn/gpt.h"
#include "nn/model_fixtures.h"

namespace {

using bf::Device;
using bf::DType;
using bf::Tensor;

// max |a - b| / max(1, max |b|)
double scaled_error(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_f64_vector(), y = b.to_f64_vector();
  REQUIRE(x.size() == y.size());
  double scale = 1, err = 0;
  for (double v : y) scale = std::max(scale, std::abs(v));
  for (size_t i = 0; i < x.size(); ++i) err = std::max(err, std::abs(x[i] - y[i]));
  return std::isfinite(err) ? err / scale : INFINITY;
}

bf::ModelConfig small_config(const std::string& preset) {
  bf::ModelConfig c = bf::preset_model(preset);
  c.n_layer = 2, c.d_model = 64, c.n_head = 4, c.vocab_size = 256, c.max_seq_len = 32;
  return c;
}

void check_preset(const std::string& preset, DType dtype, double out_tol, double grad_tol) {
  const bf::ModelConfig config = small_config(preset);
  bf::Gpt cpu(config, 11, dtype, Device::cpu), gpu(config, 11, dtype, Device::cuda);
  bf::test::randomize_parameters(cpu, 12);
  bf::test::randomize_parameters(gpu, 12);
  const auto& pc = cpu.parameters().all();
  const auto& pg = gpu.parameters().all();
  REQUIRE(pc.size() == pg.size());
  for (size_t i = 0; i < pc.size(); ++i)
    REQUIRE_MESSAGE(pc[i].value.to_f64_vector() == pg[i].value.to_f64_vector(), "parameter " << pc[i].name << " differs");

  const int64_t batch = 3, t = 32;
  bf::Rng rng(13);
  std::vector<int32_t> tokens(batch * t), targets(batch * t);
  for (auto& v : tokens) v = static_cast<int32_t>(rng.below(256));
  for (auto& v : targets) v = static_cast<int32_t>(rng.below(256));
  const bf::Shape shape{batch, t};
  Tensor logits_cpu, logits_gpu;
  {
    bf::NoGradGuard no_grad;
    logits_cpu = cpu.forward(Tensor::from_vector(tokens, shape));
    logits_gpu = gpu.forward(Tensor::from_vector(tokens, shape, Device::cuda));
  }
  CHECK_MESSAGE(scaled_error(logits_gpu, logits_cpu) <= out_tol, preset << " logits: " << scaled_error(logits_gpu, logits_cpu));

  cpu.parameters().zero_grad();
  gpu.parameters().zero_grad();
  Tensor loss_cpu = cpu.loss(Tensor::from_vector(tokens, shape), Tensor::from_vector(targets, shape));
  Tensor loss_gpu = gpu.loss(Tensor::from_vector(tokens, shape, Device::cuda), Tensor::from_vector(targets, shape, Device::cuda));
  CHECK_MESSAGE(std::abs(loss_gpu.item() - loss_cpu.item()) <= out_tol * std::abs(loss_cpu.item()),
                preset << " loss: cuda " << loss_gpu.item() << " cpu " << loss_cpu.item());
  bf::backward(loss_cpu);
  bf::backward(loss_gpu);
  for (size_t i = 0; i < pc.size(); ++i) {
    INFO(preset << " " << pc[i].name);
    REQUIRE(pc[i].value.grad().defined() == pg[i].value.grad().defined());
    if (!pc[i].value.grad().defined()) continue;
    REQUIRE(pg[i].value.grad().device() == Device::cuda);
    const double err = scaled_error(pg[i].value.grad(), pc[i].value.grad());
    CHECK_MESSAGE(err <= grad_tol, bf::dtype_name(dtype) << " gradient of " << pc[i].name << ": error " << err);
  }
}

}  // namespace

TEST_CASE("every preset: forward and backward on the GPU match the CPU in f64 (1e-10)") {
  for (const std::string& preset : bf::preset_names()) check_preset(preset, DType::f64, 1e-10, 1e-10);
}

TEST_CASE("every preset: forward and backward on the GPU match the CPU in f32 (1e-4 / 1e-3)") {
  for (const std::string& preset : bf::preset_names()) check_preset(preset, DType::f32, 1e-4, 1e-3);
}
