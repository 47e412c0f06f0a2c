// A training loop for the parity tests, in any dtype on any device: the steps bf::train takes (the
// learning-rate schedule, zero_grad, loss, backward, the global gradient norm, clipping, the optimizer
// step), without its files, logging or checkpoints, so that the same run can be made in f64 (bf::train
// trains in f32 only) and a gradient perturbation can be injected between backward and the update.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "autograd/tape.h"
#include "core/rng.h"
#include "nn/gpt.h"
#include "train/batches.h"
#include "train/config.h"
#include "train/optimizer.h"
#include "io/token_file.h"

namespace bf::test {

// Called after backward with the model, before the gradient norm and the update.
using GradientHook = std::function<void(Gpt& model, int step)>;

// The loss of each of config.run.steps steps (config.model, config.optim, config.schedule, config.data's
// batch and sequence length, config.run.seed), with the model's parameters and arithmetic in `dtype` on
// `device`. The batches come from one BatchSampler on the host, the same sequence for every call.
inline std::vector<double> train_losses(const Config& config, const TokenFile& data, DType dtype, Device device,
                                        const GradientHook& hook = {}) {
  Gpt model(config.model, config.run.seed, dtype, device);
  Optimizer optimizer(config.optim, model.parameters());
  BatchSampler sampler(data, config.data.batch_size, config.data.seq_len, config.run.seed + 1);
  std::vector<double> losses;
  Tensor tokens, targets;
  for (int step = 0; step < config.run.steps; ++step) {
    const double lr = learning_rate(config.optim, config.schedule, config.run.steps, step);
    sampler.next(tokens, targets);
    model.parameters().zero_grad();
    Tensor loss = model.loss(tokens.to(device), targets.to(device));
    losses.push_back(loss.item());
    backward(loss);
    if (hook) hook(model, step);
    const GradientReport grads = gradient_norm(model.parameters());
    const double clip = config.optim.grad_clip;
    optimizer.step(lr, clip > 0 && grads.norm > clip ? clip / (grads.norm + 1e-6) : 1.0);
  }
  return losses;
}

// A hook that adds, to every element of every gradient, uniform noise of `ulps` units in the last place
// of that gradient tensor's largest magnitude (its scale): what another summation order of the same
// terms can change, and also on elements whose exact gradient is 0 or tiny. CPU models only.
template <class T>
GradientHook rounding_noise(double ulps, uint64_t seed) {
  return [ulps, seed](Gpt& model, int step) {
    Rng rng(seed + uint64_t(step));
    for (const Parameter& p : model.parameters().all()) {
      Tensor g = p.value.grad();
      if (!g.defined()) continue;
      T* v = g.template data<T>();
      const int64_t n = g.numel();
      double scale = 0;
      for (int64_t i = 0; i < n; ++i) scale = std::max(scale, std::abs(double(v[i])));
      const double ulp = scale * std::ldexp(1.0, -(std::numeric_limits<T>::digits - 1));
      for (int64_t i = 0; i < n; ++i) v[i] = static_cast<T>(v[i] + ulps * ulp * rng.uniform(-1, 1));
    }
  };
}

// max over steps of |a_i - b_i| / |b_i|.
inline double worst_relative_gap(const std::vector<double>& a, const std::vector<double>& b) {
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::abs(a[i] - b[i]) / std::abs(b[i]));
  return a.size() == b.size() ? worst : INFINITY;
}

}  // namespace bf::test
