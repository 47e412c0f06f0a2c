// gradcheck over every registered case, gradcheck's ability to fail, and f32 backward against f64.
#include <doctest/doctest.h>

#include <cmath>
#include <set>

#include "../backends/naive.h"
#include "autograd/gradcheck.h"
#include "autograd/gradcheck_cases.h"
#include "autograd/ops.h"
#include "backends/kernels.h"

using bf::DType;
using bf::Shape;
using bf::Tensor;

TEST_CASE("every gradcheck case passes") {
  const auto& cases = bf::gradcheck_cases();
  REQUIRE(cases.size() >= 23);
  for (const bf::GradcheckCase& c : cases) {
    SUBCASE(c.name.c_str()) {
      INFO("case ", c.name, " (", c.shapes, ")");
      bf::Rng rng(1);
      const std::vector<Tensor> inputs = c.make_inputs(rng, bf::Device::cpu);
      const bf::GradcheckResult r = bf::gradcheck(c.fn, inputs, c.options);
      INFO("worst: ", r.worst, "; max abs error ", r.max_abs_error, ", max rel error ", r.max_rel_error);
      CHECK(r.checked_elements > 0);
      REQUIRE_MESSAGE(r.passed, "gradcheck failed for ", c.name);
      CHECK(bf::tape_entries().empty());  // gradcheck's backward consumed the recording
    }
  }
}

// Every op having a case is checked against the registry (test_op_registry.cpp); this pins the variants.
TEST_CASE("the gradcheck cases cover every transpose, mask and mix variant, under unique names") {
  std::set<std::string> names;
  for (const auto& c : bf::gradcheck_cases()) names.insert(c.name);
  for (const char* op : {"matmul", "matmul_ta", "matmul_tb", "matmul_tatb", "matmul_batched", "linear",
                         "linear_no_bias", "add", "sub", "mul", "scale", "scale_by", "add_bias", "relu",
                         "leaky_relu", "gelu", "sum", "mean", "sum_all", "reshape", "softmax", "softmax_causal",
                         "cross_entropy", "layer_norm", "rms_norm", "embedding", "split_heads", "merge_heads",
                         "attention_mix", "attention_mix_skipinit", "causal_attention_probs",
                         "causal_attention_probs_skipinit", "causal_attention_probs_plain"}) {
    CAPTURE(op);
    CHECK(names.count(op) == 1);
  }
  CHECK(names.size() == bf::gradcheck_cases().size());  // names are unique
}

namespace {

// y = 2x, with a backward that claims dy/dx = 3 (wrong) or 2 (right).
Tensor doubling(const Tensor& x, double claimed_derivative) {
  std::vector<double> v = x.to_f64_vector();
  for (double& e : v) e *= 2;
  Tensor y = Tensor::from_vector(v, x.shape());
  return bf::record("doubling", {x}, y, [x, claimed_derivative](const Tensor& g) {
    bf::cpu_kernels<double>().axpy(g.numel(), claimed_derivative, g.data<double>(), bf::grad_of(x).data<double>());
  });
}

}  // namespace

TEST_CASE("gradcheck fails for an op with a wrong backward (and passes once it is fixed)") {
  bf::Rng rng(3);
  Tensor x = Tensor::uniform({3, 4}, rng, -1, 1, DType::f64);
  x.set_requires_grad(true);
  const bf::GradcheckResult wrong = bf::gradcheck([](const std::vector<Tensor>& in) { return doubling(in[0], 3.0); }, {x});
  CHECK_FALSE(wrong.passed);
  CHECK(wrong.checked_elements == 12);
  CHECK(wrong.max_abs_error > 0.1);
  CHECK(wrong.worst.find("input 0") != std::string::npos);
  const bf::GradcheckResult right = bf::gradcheck([](const std::vector<Tensor>& in) { return doubling(in[0], 2.0); }, {x});
  CHECK(right.passed);
  CHECK(right.max_abs_error < 1e-7);
}

TEST_CASE("gradcheck fails when one of two inputs gets a wrong gradient") {
  // mul's real gradient for a, but b gets nothing: the error must be found on input 1.
  bf::Rng rng(4);
  Tensor a = Tensor::uniform({2, 3}, rng, -1, 1, DType::f64).set_requires_grad(true);
  Tensor b = Tensor::uniform({2, 3}, rng, -1, 1, DType::f64).set_requires_grad(true);
  auto half_mul = [](const std::vector<Tensor>& in) {
    Tensor y = Tensor::zeros_like(in[0]);
    bf::cpu_kernels<double>().mul(y.numel(), in[0].data<double>(), in[1].data<double>(), y.data<double>());
    const Tensor x0 = in[0], x1 = in[1];
    return bf::record("half_mul", {x0, x1}, y, [x0, x1](const Tensor& g) {
      bf::cpu_kernels<double>().mul_acc(g.numel(), g.data<double>(), x1.data<double>(), bf::grad_of(x0).data<double>());
      (void)bf::grad_of(x1);  // allocated, left at zero
    });
  };
  const bf::GradcheckResult r = bf::gradcheck(half_mul, {a, b});
  CHECK_FALSE(r.passed);
  CHECK(r.worst.find("input 1") != std::string::npos);
}

TEST_CASE("ops whose two inputs are the same tensor pass gradcheck") {
  // Both backward branches write into the one gradient buffer: they must add, not overwrite.
  bf::Rng rng(5);
  Tensor x = Tensor::uniform({4, 4}, rng, -1, 1, DType::f64).set_requires_grad(true);
  using In = const std::vector<Tensor>&;
  for (const auto& [name, fn] : std::vector<std::pair<const char*, bf::GradcheckFn>>{
           {"matmul(x, x)", [](In in) { return bf::matmul(in[0], in[0]); }},
           {"matmul(x, x^T)", [](In in) { return bf::matmul(in[0], in[0], false, true); }},
           {"matmul(x^T, x)", [](In in) { return bf::matmul(in[0], in[0], true, false); }},
           {"linear(x, x, sum_0 x)", [](In in) { return bf::linear(in[0], in[0], bf::sum(in[0], 0)); }},
           {"add(x, x)", [](In in) { return bf::add(in[0], in[0]); }},
           {"sub(x, x) + x", [](In in) { return bf::add(bf::sub(in[0], in[0]), in[0]); }},
           {"scale_by(x, sum_all x)", [](In in) { return bf::scale_by(in[0], bf::reshape(bf::sum_all(in[0]), {1})); }},
           {"layer_norm(x, sum_0 x, mean_0 x)", [](In in) { return bf::layer_norm(in[0], bf::sum(in[0], 0), bf::mean(in[0], 0)); }},
       }) {
    CAPTURE(name);
    const bf::GradcheckResult r = bf::gradcheck(fn, {x});
    INFO("worst: ", r.worst);
    CHECK(r.passed);
  }
}

TEST_CASE("gradcheck rejects f32 inputs") {
  Tensor x = Tensor::ones({2}, DType::f32).set_requires_grad(true);
  CHECK_THROWS_AS(bf::gradcheck([](const std::vector<Tensor>& in) { return bf::scale(in[0], 2.0); }, {x}), bf::Error);
  bf::clear_tape();
}

// Regression (fixed): autograd/gradcheck.cpp:59-73: a NaN numeric derivative passes. `ratio = err / allowed` is NaN when the
// forward gives NaN, `ratio > worst_ratio` is then false, worst_ratio stays -1 and `passed` is
// `worst_ratio <= 1.0`, i.e. true; max_abs_error also stays 0 (std::max drops the NaN). Repro: an op whose
// forward is log(x) on negative x (NaN) with a finite backward, as below: gradcheck reports passed == true.
// Fix: treat a non-finite err (or ratio) as a failure, e.g. `!(err <= allowed)` or ratio = INFINITY when
// !std::isfinite(numeric).
TEST_CASE("gradcheck fails when the numeric derivative is NaN") {
  Tensor x = Tensor::full({3}, -1.0, DType::f64).set_requires_grad(true);
  auto nan_op = [](const std::vector<Tensor>& in) {
    const Tensor xin = in[0];
    std::vector<double> v = xin.to_f64_vector();
    for (double& e : v) e = std::log(e);  // NaN for x < 0
    Tensor y = Tensor::from_vector(v, xin.shape());
    return bf::record("nan_op", {xin}, y, [xin](const Tensor& g) {
      bf::cpu_kernels<double>().axpy(g.numel(), 1.0, g.data<double>(), bf::grad_of(xin).data<double>());
    });
  };
  const bf::GradcheckResult r = bf::gradcheck(nan_op, {x});
  CHECK_FALSE(r.passed);
}

TEST_CASE("f32 gradients agree with f64 gradients for every gradcheck case") {
  // The gradcheck cases run in f64; this runs each op's backward in f32 too and compares.
  for (const bf::GradcheckCase& c : bf::gradcheck_cases()) {
    CAPTURE(c.name);
    bf::Rng rng(9);
    const std::vector<Tensor> in64 = c.make_inputs(rng, bf::Device::cpu);
    std::vector<Tensor> in32;
    for (const Tensor& t : in64) {
      if (t.dtype() != DType::f64) {
        in32.push_back(t);
        continue;
      }
      Tensor f = t.to(DType::f32);
      f.set_requires_grad(t.requires_grad());
      in32.push_back(f);
    }
    const Tensor y64 = c.fn(in64);
    bf::Rng proj(10);
    const Tensor r64 = Tensor::uniform(y64.shape(), proj, -1, 1, DType::f64);
    bf::backward(y64, r64);
    const Tensor y32 = c.fn(in32);
    CHECK(y32.dtype() == DType::f32);
    CHECK(y32.shape() == y64.shape());
    NAIVE_CHECK_CLOSE(y32.to_f64_vector(), y64.to_f64_vector(), 1e-5, 1e-5);
    bf::backward(y32, r64.to(DType::f32));
    for (size_t i = 0; i < in64.size(); ++i) {
      if (!in64[i].requires_grad()) continue;
      CAPTURE(i);
      REQUIRE(in32[i].grad().defined());
      CHECK(in32[i].grad().dtype() == DType::f32);
      NAIVE_CHECK_CLOSE(in32[i].grad().to_f64_vector(), in64[i].grad().to_f64_vector(), 1e-4, 1e-5);
    }
  }
}
