// AdamW and SGD with momentum over a ParameterSet, with clipping by the global gradient norm and the
// learning-rate schedule. Weight decay applies only where weight_decay_applies(group) (matrices and
// embeddings): never to gains, norm scales or biases.
#pragma once
#include <string>
#include <vector>

#include "nn/parameters.h"
#include "train/config.h"

namespace bf {

// Learning rate after `step` completed steps (0-based step being taken now): linear warm-up from
// peak/W to peak over the first W steps, then linear or cosine decay to min_lr_ratio * peak at the end.
double learning_rate(const OptimConfig& optim, const ScheduleConfig& schedule, int total_steps, int step);
int warmup_steps(const ScheduleConfig& schedule, int total_steps);

struct GradientReport {
  double norm = 0;             // global L2 norm of all gradients (before clipping)
  std::string first_nonfinite; // name of the first parameter whose gradient has a NaN/Inf ("" if none)
};
GradientReport gradient_norm(const ParameterSet& params);

class Optimizer {
 public:
  Optimizer(const OptimConfig& config, const ParameterSet& params);
  // One update with learning rate lr; gradients are multiplied by grad_scale first (clipping).
  void step(double lr, double grad_scale);
  int64_t steps_taken() const { return steps_; }

  // State for checkpoints: named tensors ("optim.exp_avg.<param>", ...) and the step count.
  std::vector<std::pair<std::string, Tensor>> state() const;
  void load_state(const std::vector<std::pair<std::string, Tensor>>& tensors, int64_t steps);

 private:
  OptimConfig config_;
  std::vector<Parameter> params_;
  std::vector<Tensor> first_moment_;   // AdamW m, or SGD momentum buffer
  std::vector<Tensor> second_moment_;  // AdamW v
  int64_t steps_ = 0;
};

}  // namespace bf
