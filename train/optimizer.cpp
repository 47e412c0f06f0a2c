#include "train/optimizer.h"

#include <cmath>
#include <numbers>

#include "backends/kernels.h"

namespace bf {

int warmup_steps(const ScheduleConfig& s, int total_steps) {
  if (s.warmup_steps >= 0) return s.warmup_steps;
  return static_cast<int>(std::round(s.warmup_fraction * total_steps));
}

double learning_rate(const OptimConfig& optim, const ScheduleConfig& s, int total_steps, int step) {
  const double peak = optim.lr, floor = s.min_lr_ratio * peak;
  const int warmup = warmup_steps(s, total_steps);
  if (step < warmup) return peak * double(step + 1) / double(warmup);  // reaches the peak at the last warm-up step
  if (s.decay == LrDecay::constant || total_steps <= warmup) return peak;
  // progress 0 at the first step after warm-up, 1 at the last step of the run
  const double progress = total_steps - warmup > 1 ? double(step - warmup) / double(total_steps - warmup - 1) : 1.0;
  if (s.decay == LrDecay::cosine) return floor + (peak - floor) * 0.5 * (1.0 + std::cos(std::numbers::pi * progress));
  return floor + (peak - floor) * (1.0 - progress);
}

// Each parameter's sum of squares goes to its own slot of one f64 buffer on the parameters' device (the
// kernel table takes device pointers), which comes back to the host in one copy: one synchronisation per
// step on a GPU instead of one per parameter. The slots are then added in parameter order, as before.
GradientReport gradient_norm(const ParameterSet& params) {
  GradientReport report;
  const std::vector<Parameter>& all = params.all();
  if (all.empty()) return report;
  Tensor parts = Tensor::zeros(Shape{int64_t(all.size())}, DType::f64, all.front().value.device());
  double* slot = parts.data<double>();
  for (size_t i = 0; i < all.size(); ++i) {
    Tensor g = all[i].value.grad();
    if (!g.defined()) continue;
    dispatch_float(g.dtype(), "gradient_norm", [&]<class T>() { kernels<T>(g.device()).sum_squares_acc(g.numel(), g.data<T>(), slot + i); });
  }
  const std::vector<double> part = parts.to_f64_vector();
  double sum = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!std::isfinite(part[i]) && report.first_nonfinite.empty()) report.first_nonfinite = all[i].name;
    sum += part[i];
  }
  report.norm = std::sqrt(sum);
  return report;
}

Optimizer::Optimizer(const OptimConfig& config, const ParameterSet& params) : config_(config), params_(params.all()) {
  for (const Parameter& p : params_) {
    first_moment_.push_back(Tensor::zeros_like(p.value));
    second_moment_.push_back(config.name == OptimizerKind::adamw ? Tensor::zeros_like(p.value) : Tensor());
  }
}

void Optimizer::step(double lr, double grad_scale) {
  ++steps_;
  const double bc1 = 1.0 - std::pow(config_.beta1, double(steps_));
  const double bc2 = 1.0 - std::pow(config_.beta2, double(steps_));
  for (size_t i = 0; i < params_.size(); ++i) {
    const Parameter& p = params_[i];
    Tensor g = p.value.grad();
    if (!g.defined()) continue;  // a parameter the loss does not reach (e.g. unused positions) keeps its state
    const double wd = weight_decay_applies(p.group) ? config_.weight_decay : 0.0;
    dispatch_float(p.value.dtype(), "optimizer", [&]<class T>() {
      const auto& k = kernels<T>(p.value.device());
      if (config_.name == OptimizerKind::adamw)
        k.adamw_update(p.value.numel(), p.value.data<T>(), g.data<T>(), first_moment_[i].data<T>(),
                       second_moment_[i].data<T>(), T(grad_scale), T(lr), T(config_.beta1), T(config_.beta2),
                       T(config_.eps), T(wd), T(bc1), T(bc2));
      else
        k.sgd_update(p.value.numel(), p.value.data<T>(), g.data<T>(), first_moment_[i].data<T>(), T(grad_scale),
                     T(lr), T(config_.momentum), T(wd));
    });
  }
}

std::vector<std::pair<std::string, Tensor>> Optimizer::state() const {
  std::vector<std::pair<std::string, Tensor>> out;
  const bool adam = config_.name == OptimizerKind::adamw;
  for (size_t i = 0; i < params_.size(); ++i) {
    out.push_back({(adam ? "optim.exp_avg." : "optim.momentum.") + params_[i].name, first_moment_[i]});
    if (adam) out.push_back({"optim.exp_avg_sq." + params_[i].name, second_moment_[i]});
  }
  return out;
}

void Optimizer::load_state(const std::vector<std::pair<std::string, Tensor>>& tensors, int64_t steps) {
  auto find = [&](const std::string& name) -> const Tensor* {
    for (const auto& [n, t] : tensors)
      if (n == name) return &t;
    return nullptr;
  };
  for (auto& [name, mine] : state()) {
    const Tensor* saved = find(name);
    BF_CHECK(saved != nullptr, "checkpoint: optimiser state \"", name, "\" is missing (was it saved with optim.name = ",
             name_of(config_.name), "?)");
    BF_CHECK(saved->shape() == mine.shape(), "checkpoint: optimiser state \"", name, "\" has shape ", saved->shape(),
             ", the model needs ", mine.shape());
    Tensor target = mine;
    target.copy_from(saved->to(mine.dtype()).to(mine.device()));
  }
  steps_ = steps;
}

}  // namespace bf
