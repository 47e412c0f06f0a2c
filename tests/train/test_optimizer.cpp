// AdamW and SGD against hand computations; the learning-rate schedule at its corners.
#include <doctest/doctest.h>

#include <cmath>

#include "train/optimizer.h"

using namespace bf;

TEST_CASE("two AdamW steps match a hand computation, with decay only on matrices") {
  ParameterSet params;
  Tensor w = params.add("w", Tensor::from_vector<double>({0.5, -1.0}, Shape{2}), ParamGroup::matrix);
  Tensor g = params.add("g", Tensor::from_vector<double>({2.0}, Shape{1}), ParamGroup::gain);
  OptimConfig cfg;  // lr 1e-3, betas (0.9, 0.999), eps 1e-8, wd 0.1
  cfg.lr = 0.1;
  Optimizer opt(cfg, params);
  const std::vector<std::vector<double>> grads_w = {{0.2, -0.4}, {-0.1, 0.3}}, grads_g = {{1.0}, {1.0}};

  // Explicit two-step values (t = 1: mhat = g1, vhat = g1^2, update = lr * sign(g1) (eps negligible);
  // t = 2: mhat = (0.09 g1 + 0.1 g2) / 0.19, vhat = (0.000999 g1^2 + 0.001 g2^2) / 0.001999).
  auto two_steps = [&](double p, double g1, double g2, double wd) {
    p *= 1 - cfg.lr * wd;
    p -= cfg.lr * g1 / (std::abs(g1) + cfg.eps);
    p *= 1 - cfg.lr * wd;
    const double mhat = (0.09 * g1 + 0.1 * g2) / 0.19;
    const double vhat = (0.999 * 0.001 * g1 * g1 + 0.001 * g2 * g2) / (1 - 0.999 * 0.999);
    p -= cfg.lr * mhat / (std::sqrt(vhat) + cfg.eps);
    return p;
  };
  for (int step = 0; step < 2; ++step) {
    w.impl().grad = Tensor::from_vector<double>(grads_w[step], Shape{2}).impl_ptr();
    g.impl().grad = Tensor::from_vector<double>(grads_g[step], Shape{1}).impl_ptr();
    opt.step(cfg.lr, 1.0);
  }
  CHECK(w.at({0}) == doctest::Approx(two_steps(0.5, 0.2, -0.1, 0.1)).epsilon(1e-12));
  CHECK(w.at({1}) == doctest::Approx(two_steps(-1.0, -0.4, 0.3, 0.1)).epsilon(1e-12));
  CHECK(g.at({0}) == doctest::Approx(two_steps(2.0, 1.0, 1.0, 0.0)).epsilon(1e-12));  // a gain: no decay
  CHECK(g.at({0}) != doctest::Approx(two_steps(2.0, 1.0, 1.0, 0.1)).epsilon(1e-9));   // decay would show
}

TEST_CASE("SGD with momentum matches a hand computation") {
  ParameterSet params;
  Tensor w = params.add("w", Tensor::from_vector<double>({1.0}, Shape{1}), ParamGroup::matrix);
  OptimConfig cfg;
  cfg.name = bf::OptimizerKind::sgd;
  cfg.momentum = 0.9;
  cfg.weight_decay = 0.0;
  Optimizer opt(cfg, params);
  w.impl().grad = Tensor::from_vector<double>({0.5}, Shape{1}).impl_ptr();
  opt.step(0.1, 1.0);  // buf = 0.5, p = 1 - 0.05
  opt.step(0.1, 2.0);  // g scaled to 1.0: buf = 0.45 + 1.0 = 1.45, p = 0.95 - 0.145
  CHECK(w.at({0}) == doctest::Approx(0.805).epsilon(1e-12));
}

TEST_CASE("schedule: warm-up reaches the peak, linear decay reaches the floor at the last step") {
  OptimConfig optim;
  optim.lr = 1.0;
  ScheduleConfig s;
  s.warmup_steps = 10;
  s.min_lr_ratio = 0.1;
  CHECK(learning_rate(optim, s, 110, 0) == doctest::Approx(0.1));
  CHECK(learning_rate(optim, s, 110, 9) == doctest::Approx(1.0));
  CHECK(learning_rate(optim, s, 110, 10) == doctest::Approx(1.0));
  CHECK(learning_rate(optim, s, 110, 109) == doctest::Approx(0.1));
  CHECK(learning_rate(optim, s, 110, 59) == doctest::Approx(0.1 + 0.9 * (1 - 49.0 / 99.0)));
  s.decay = bf::LrDecay::cosine;
  CHECK(learning_rate(optim, s, 110, 10) == doctest::Approx(1.0));
  CHECK(learning_rate(optim, s, 110, 109) == doctest::Approx(0.1));
  s.decay = bf::LrDecay::constant;
  CHECK(learning_rate(optim, s, 110, 109) == doctest::Approx(1.0));
  ScheduleConfig fraction;  // 5% of 200 = 10 warm-up steps
  CHECK(warmup_steps(fraction, 200) == 10);
  CHECK(learning_rate(optim, fraction, 200, 4) == doctest::Approx(0.5));
  ScheduleConfig none;
  none.warmup_steps = 0;
  CHECK(learning_rate(optim, none, 5, 0) == doctest::Approx(1.0));
  CHECK(learning_rate(optim, none, 5, 4) == doctest::Approx(0.0));
}

TEST_CASE("gradient norm is global and names the first non-finite gradient") {
  ParameterSet params;
  Tensor a = params.add("a", Tensor::zeros({2}, DType::f64), ParamGroup::matrix);
  Tensor b = params.add("b", Tensor::zeros({1}, DType::f64), ParamGroup::bias);
  a.impl().grad = Tensor::from_vector<double>({3.0, 0.0}, Shape{2}).impl_ptr();
  b.impl().grad = Tensor::from_vector<double>({4.0}, Shape{1}).impl_ptr();
  GradientReport r = gradient_norm(params);
  CHECK(r.norm == doctest::Approx(5.0));
  CHECK(r.first_nonfinite.empty());
  b.impl().grad = Tensor::from_vector<double>({NAN}, Shape{1}).impl_ptr();
  CHECK(gradient_norm(params).first_nonfinite == "b");
}
