// Tape semantics: gradient sums over several uses, accumulation across passes until zero_grad, one backward
// per recording, grad mode and scopes, and which gradients survive a backward.
#include <doctest/doctest.h>

#include "../backends/naive.h"
#include "autograd/op_profile.h"
#include "autograd/ops.h"
#include "autograd/tape.h"

using bf::DType;
using bf::Shape;
using bf::Tensor;

namespace {

Tensor param(const Shape& shape, bf::Rng& rng, DType dtype = DType::f64) {
  return Tensor::uniform(shape, rng, -1, 1, dtype).set_requires_grad(true);
}

// Every test starts from an empty recording so that leftovers of another test cannot interfere.
struct FreshTape {
  FreshTape() { bf::clear_tape(); }
  ~FreshTape() { bf::clear_tape(); }
};

}  // namespace

TEST_CASE("a tensor used by several ops gets the sum of its gradients") {
  FreshTape fresh;
  bf::Rng rng(201);
  Tensor x = param({2, 3}, rng);
  Tensor w = param({2, 3}, rng);
  // L = sum(x * w) + sum(3 x) + sum(x * x):  dL/dx = w + 3 + 2x,  dL/dw = x
  Tensor loss = bf::add(bf::add(bf::sum_all(bf::mul(x, w)), bf::sum_all(bf::scale(x, 3.0))), bf::sum_all(bf::mul(x, x)));
  bf::backward(loss);
  const naive::Vec xv = x.to_f64_vector(), wv = w.to_f64_vector();
  naive::Vec want_x(6), want_w(6);
  for (int i = 0; i < 6; ++i) {
    want_x[i] = wv[i] + 3.0 + 2.0 * xv[i];
    want_w[i] = xv[i];
  }
  REQUIRE(x.grad().defined());
  REQUIRE(w.grad().defined());
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), want_x, 1e-12, 1e-12);
  NAIVE_CHECK_CLOSE(w.grad().to_f64_vector(), want_w, 1e-12, 1e-12);
}

TEST_CASE("gradients accumulate over two forward/backward passes until zero_grad") {
  FreshTape fresh;
  bf::Rng rng(202);
  Tensor x = param({4}, rng);
  Tensor w = param({4}, rng);
  auto step = [&] { bf::backward(bf::sum_all(bf::mul(x, w))); };
  step();
  const naive::Vec g1 = x.grad().to_f64_vector();
  NAIVE_CHECK_CLOSE(g1, w.to_f64_vector(), 0.0, 0.0);  // d sum(x w)/dx = w
  step();
  naive::Vec twice = g1;
  for (double& v : twice) v *= 2;
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), twice, 1e-15, 0.0);
  x.zero_grad();
  CHECK_FALSE(x.grad().defined());
  CHECK(w.grad().defined());  // only x was reset
  step();
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), g1, 0.0, 0.0);
  naive::Vec w_three = x.to_f64_vector();
  for (double& v : w_three) v *= 3;
  NAIVE_CHECK_CLOSE(w.grad().to_f64_vector(), w_three, 1e-15, 0.0);
}

TEST_CASE("backward twice over one recording throws bf::Error") {
  FreshTape fresh;
  bf::Rng rng(203);
  Tensor x = param({3}, rng);
  Tensor loss = bf::sum_all(bf::relu(x));
  bf::backward(loss);
  const naive::Vec g = x.grad().to_f64_vector();
  CHECK_THROWS_AS(bf::backward(loss), bf::Error);
  CHECK_THROWS_WITH(bf::backward(loss), doctest::Contains("backward"));
  // The failed call did not touch the gradient.
  CHECK(x.grad().to_f64_vector() == g);
  // Still an error after a new, unrelated recording.
  Tensor other = bf::sum_all(bf::scale(x, 2.0));
  CHECK_THROWS_AS(bf::backward(loss), bf::Error);
  bf::backward(other);  // the new recording works
}

TEST_CASE("backward after clear_tape throws") {
  FreshTape fresh;
  bf::Rng rng(204);
  Tensor x = param({3}, rng);
  Tensor loss = bf::sum_all(x);
  CHECK_FALSE(bf::tape_entries().empty());
  bf::clear_tape();
  CHECK(bf::tape_entries().empty());
  CHECK_THROWS_AS(bf::backward(loss), bf::Error);
}

TEST_CASE("backward on a tensor that does not require grad throws") {
  FreshTape fresh;
  bf::Rng rng(205);
  Tensor a = Tensor::uniform({2, 2}, rng, -1, 1, DType::f64);  // no requires_grad
  Tensor loss = bf::sum_all(bf::mul(a, a));
  CHECK_FALSE(loss.requires_grad());
  CHECK(bf::tape_entries().empty());
  CHECK_THROWS_AS(bf::backward(loss), bf::Error);
  CHECK_THROWS_WITH(bf::backward(loss), doctest::Contains("require"));
  // And a non-scalar loss needs an explicit seed.
  Tensor x = param({2, 2}, rng);
  Tensor y = bf::scale(x, 2.0);
  CHECK_THROWS_AS(bf::backward(y), bf::Error);
  // A seed of the wrong shape is rejected too.
  CHECK_THROWS_AS(bf::backward(y, Tensor::ones({4}, DType::f64)), bf::Error);
  bf::backward(y, Tensor::ones({2, 2}, DType::f64));
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), naive::Vec(4, 2.0), 0.0, 0.0);
}

TEST_CASE("NoGradGuard records nothing and restores grad mode") {
  FreshTape fresh;
  bf::Rng rng(206);
  Tensor x = param({2, 3}, rng), w = param({4, 3}, rng);
  CHECK(bf::grad_enabled());
  {
    bf::NoGradGuard no_grad;
    CHECK_FALSE(bf::grad_enabled());
    Tensor y = bf::relu(bf::linear(x, w));
    CHECK(bf::tape_entries().empty());
    CHECK_FALSE(y.requires_grad());
    CHECK(y.is_leaf());
    {
      bf::NoGradGuard nested;
      CHECK_FALSE(bf::grad_enabled());
    }
    CHECK_FALSE(bf::grad_enabled());  // the inner guard restores "off", not "on"
    CHECK_THROWS_AS(bf::backward(bf::sum_all(y)), bf::Error);
  }
  CHECK(bf::grad_enabled());
  Tensor z = bf::linear(x, w);
  CHECK(z.requires_grad());
  CHECK(bf::tape_entries().size() == 1);
}

namespace {

// A backward closure that counts how often it is copied or moved: record() must not touch it (no
// std::function built) when the op is not recorded.
struct CountingClosure {
  int* copies_or_moves;
  explicit CountingClosure(int* counter) : copies_or_moves(counter) {}
  CountingClosure(const CountingClosure& other) : copies_or_moves(other.copies_or_moves) { ++*copies_or_moves; }
  CountingClosure(CountingClosure&& other) noexcept : copies_or_moves(other.copies_or_moves) { ++*copies_or_moves; }
  CountingClosure& operator=(const CountingClosure&) = delete;
  CountingClosure& operator=(CountingClosure&&) = delete;
  ~CountingClosure() = default;
  void operator()(const Tensor&) const {}
};

}  // namespace

TEST_CASE("record builds no closure or entry for an op it does not record; it does for one it records") {
  FreshTape fresh;
  bf::Rng rng(207);
  Tensor x = param({2, 3}, rng), constant = Tensor::uniform({2, 3}, rng, -1, 1, DType::f64);
  int copies_or_moves = 0;
  {
    bf::NoGradGuard no_grad;
    Tensor y = bf::record("probe", {x}, Tensor::zeros({2, 3}, DType::f64), CountingClosure(&copies_or_moves));
    CHECK_FALSE(y.requires_grad());
  }
  Tensor z = bf::record("probe", {constant, Tensor()}, Tensor::zeros({2, 3}, DType::f64),
                        CountingClosure(&copies_or_moves));  // grad on, but no input requires grad
  CHECK_FALSE(z.requires_grad());
  CHECK(copies_or_moves == 0);
  CHECK(bf::tape_entries().empty());
  CHECK_FALSE(bf::should_record({constant, Tensor()}));
  CHECK(bf::should_record({constant, x}));
  {
    bf::NoGradGuard no_grad;
    CHECK_FALSE(bf::should_record({constant, x}));
  }

  Tensor recorded = bf::record("probe", {constant, x}, Tensor::zeros({2, 3}, DType::f64),
                               CountingClosure(&copies_or_moves));
  CHECK(copies_or_moves >= 1);  // moved into the entry's std::function
  CHECK(recorded.requires_grad());
  REQUIRE(bf::tape_entries().size() == 1);
  CHECK(bf::tape_entries()[0].op == "probe");
  CHECK(bf::tape_entries()[0].inputs.size() == 2);
}

TEST_CASE("ScopeGuard names appear in the tape entries") {
  FreshTape fresh;
  bf::Rng rng(207);
  Tensor x = param({2, 4}, rng), w = param({4, 4}, rng);
  CHECK(bf::current_scope().empty());
  Tensor h;
  {
    bf::ScopeGuard blocks("blocks.0");
    {
      bf::ScopeGuard attn("attn");
      CHECK(bf::current_scope() == "blocks.0.attn");
      h = bf::linear(x, w);
    }
    CHECK(bf::current_scope() == "blocks.0");
    h = bf::relu(h);
  }
  CHECK(bf::current_scope().empty());
  Tensor loss = bf::sum_all(h);
  const auto& entries = bf::tape_entries();
  REQUIRE(entries.size() >= 3);
  CHECK(entries[0].op == "linear");
  CHECK(entries[0].scope == "blocks.0.attn");
  CHECK(entries[1].op == "relu");
  CHECK(entries[1].scope == "blocks.0");
  CHECK(entries.back().scope.empty());
  CHECK(entries[0].inputs.size() >= 2);
  CHECK(entries[0].output.same_as(entries[1].inputs[0]));
  CHECK(entries[0].flops == doctest::Approx(2.0 * 2 * 4 * 4));
  bf::backward(loss);
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("scope_within and last_entry_within find a layer's ops by scope, nested scopes included") {
  CHECK(bf::scope_within("blocks.3", "blocks.3"));
  CHECK(bf::scope_within("blocks.3.attn", "blocks.3"));
  CHECK_FALSE(bf::scope_within("blocks.30", "blocks.3"));
  CHECK_FALSE(bf::scope_within("blocks", "blocks.3"));
  CHECK_FALSE(bf::scope_within("", "blocks.3"));
  FreshTape fresh;
  bf::Rng rng(208);
  Tensor x = param({2, 4}, rng), w = param({4, 4}, rng);
  {
    bf::ScopeGuard block("blocks.3");
    Tensor h = bf::relu(x);                  // entry 0, "blocks.3"
    bf::ScopeGuard attn("attn");
    h = bf::linear(h, w);                    // entry 1, "blocks.3.attn"
  }
  {
    bf::ScopeGuard other("blocks.30");
    (void)bf::relu(x);                       // entry 2, "blocks.30"
  }
  const auto& entries = bf::tape_entries();
  REQUIRE(entries.size() == 3);
  CHECK(bf::last_entry_within(entries, "blocks.3") == 1);
  CHECK(bf::last_entry_within(entries, "blocks.3.attn") == 1);
  CHECK(bf::last_entry_within(entries, "blocks.30") == 2);
  CHECK(bf::last_entry_within(entries, "blocks.3", 2) == -1);  // nothing of blocks.3 at or after entry 2
  CHECK(bf::last_entry_within(entries, "head") == -1);
  bf::clear_tape();
}

TEST_CASE("after backward, intermediate gradients are freed and leaf gradients kept") {
  FreshTape fresh;
  bf::Rng rng(208);
  Tensor x = param({3, 4}, rng), w = param({5, 4}, rng);
  Tensor h = bf::linear(x, w);
  Tensor a = bf::gelu(h);
  Tensor loss = bf::sum_all(a);
  CHECK_FALSE(h.is_leaf());
  CHECK(x.is_leaf());
  bf::backward(loss);
  CHECK(x.grad().defined());
  CHECK(w.grad().defined());
  CHECK_FALSE(h.grad().defined());
  CHECK_FALSE(a.grad().defined());
  CHECK_FALSE(loss.grad().defined());
  CHECK(x.grad().shape() == x.shape());
  CHECK(w.grad().shape() == w.shape());
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("only inputs that require grad receive a gradient; branches off the loss path are skipped") {
  FreshTape fresh;
  bf::Rng rng(209);
  Tensor x = param({2, 3}, rng);
  Tensor c = Tensor::uniform({2, 3}, rng, -1, 1, DType::f64);  // a constant
  Tensor unrelated = param({2, 3}, rng);
  Tensor side = bf::relu(unrelated);  // recorded but not part of the loss
  Tensor loss = bf::sum_all(bf::mul(x, c));
  CHECK(bf::tape_entries().size() == 4);  // relu, mul, and sum_all = reshape + sum
  bf::backward(loss);
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), c.to_f64_vector(), 0.0, 0.0);
  CHECK_FALSE(c.grad().defined());
  CHECK_FALSE(unrelated.grad().defined());
  CHECK(side.requires_grad());
}

TEST_CASE("each op records one entry named after it, only when an input requires grad") {
  FreshTape fresh;
  bf::Rng rng(210);
  Tensor x = param({2, 2, 4, 4}, rng), c = Tensor::uniform({2, 2, 4, 4}, rng, -1, 1, DType::f64);
  struct Op {
    const char* name;
    std::function<Tensor(const Tensor&)> run;
  };
  const Tensor g = Tensor::full({1}, 0.5, DType::f64), b4 = Tensor::zeros({4}, DType::f64),
               w4 = Tensor::ones({4}, DType::f64), w44 = Tensor::ones({4, 4}, DType::f64);
  const Tensor ids = Tensor::from_vector(std::vector<int32_t>{0, 1}, {2});
  const std::vector<Op> ops = {
      {"matmul", [](const Tensor& t) { return bf::matmul(t, t); }},
      {"linear", [&](const Tensor& t) { return bf::linear(t, w44, b4); }},
      {"add", [&](const Tensor& t) { return bf::add(t, t); }},
      {"sub", [&](const Tensor& t) { return bf::sub(t, t); }},
      {"mul", [&](const Tensor& t) { return bf::mul(t, t); }},
      {"scale", [](const Tensor& t) { return bf::scale(t, 2.0); }},
      {"scale_by", [&](const Tensor& t) { return bf::scale_by(t, g); }},
      {"add_bias", [&](const Tensor& t) { return bf::add_bias(t, b4); }},
      {"relu", [](const Tensor& t) { return bf::relu(t); }},
      {"leaky_relu", [](const Tensor& t) { return bf::leaky_relu(t, 0.1); }},
      {"gelu", [](const Tensor& t) { return bf::gelu(t); }},
      {"sum", [](const Tensor& t) { return bf::sum(t, 1); }},
      {"mean", [](const Tensor& t) { return bf::mean(t, 1); }},
      {"reshape", [](const Tensor& t) { return bf::reshape(t, {16, 4}); }},
      {"softmax", [](const Tensor& t) { return bf::softmax(t); }},
      {"softmax_causal", [](const Tensor& t) { return bf::softmax(t, true); }},
      {"cross_entropy", [&](const Tensor& t) { return bf::cross_entropy(bf::reshape(t, {16, 4}), Tensor::zeros({16}, DType::i32)); }},
      {"layer_norm", [&](const Tensor& t) { return bf::layer_norm(t, w4, b4); }},
      {"rms_norm", [&](const Tensor& t) { return bf::rms_norm(t, w4); }},
      {"embedding", [&](const Tensor& t) { return bf::embedding(bf::reshape(t, {16, 4}), ids); }},
      {"merge_heads", [](const Tensor& t) { return bf::merge_heads(t); }},
      {"split_heads", [](const Tensor& t) { return bf::split_heads(bf::reshape(t, {2, 8, 4}), 2); }},
      {"attention_mix", [](const Tensor& t) {
         const Tensor h = Tensor::ones({2}, DType::f64);
         return bf::attention_mix(t, h, h, h, Tensor::ones({4, 4}, DType::f64));
       }},
  };
  for (const Op& op : ops) {
    CAPTURE(op.name);
    bf::clear_tape();
    Tensor constant_out = op.run(c);
    CHECK(bf::tape_entries().empty());
    CHECK_FALSE(constant_out.requires_grad());
    Tensor out = op.run(x);
    CHECK(out.requires_grad());
    REQUIRE_FALSE(bf::tape_entries().empty());
    CHECK(bf::tape_entries().back().op == op.name);
    CHECK(bf::tape_entries().back().output.same_as(out));
  }
}

TEST_CASE("backward seeded at an intermediate output with an explicit gradient") {
  FreshTape fresh;
  bf::Rng rng(211);
  Tensor x = param({2, 3}, rng);
  Tensor y = bf::scale(x, -1.5);
  Tensor seed = Tensor::uniform({2, 3}, rng, -1, 1, DType::f64);
  bf::backward(y, seed);
  naive::Vec want = seed.to_f64_vector();
  for (double& v : want) v *= -1.5;
  NAIVE_CHECK_CLOSE(x.grad().to_f64_vector(), want, 1e-15, 0.0);
  CHECK_FALSE(y.grad().defined());
}

// Regression (fixed): autograd/tape.cpp:75 (backward): the seed is written with `grad_of(output).copy_from(grad_output)`, which
// OVERWRITES an existing gradient instead of accumulating. For an intermediate this is harmless (its .grad was
// freed), but when the output is a leaf that already holds a gradient from an earlier pass, that gradient is
// lost, against the rule that gradients accumulate until zero_grad(). Repro: x leaf [1] requiring grad;
// backward(sum_all(x)) gives x.grad = 1; then backward(x) gives x.grad = 1, expected 2. (backward on a leaf
// also clears whatever else is recorded on the tape.) Fix: axpy the seed into grad_of(output).
TEST_CASE("backward on a leaf output accumulates onto its existing gradient") {
  FreshTape fresh;
  Tensor x = Tensor::full({1}, 3.0, DType::f64).set_requires_grad(true);
  bf::backward(bf::sum_all(x));
  REQUIRE(x.grad().defined());
  CHECK(x.grad().item() == 1.0);
  bf::backward(x);
  CHECK(x.grad().item() == 2.0);
}

TEST_CASE("the op profile counts each recorded op's forward calls and times its backward; off records nothing") {
  FreshTape fresh;
  bf::Rng rng(202);
  Tensor x = param({4, 3}, rng);
  Tensor w = param({3, 5}, rng);
  bf::op_profile_reset();
  bf::set_op_profiling(true);
  bf::op_profile_mark();
  Tensor loss = bf::sum_all(bf::relu(bf::matmul(x, w)));
  bf::backward(loss);
  bf::op_profile_add("optimizer", 0.25);
  bf::set_op_profiling(false);
  std::vector<bf::OpTime> table = bf::op_profile_table();
  auto find = [&](const std::string& op) -> const bf::OpTime* {
    for (const bf::OpTime& t : table)
      if (t.op == op) return &t;
    return nullptr;
  };
  for (const char* op : {"matmul", "relu", "reshape", "sum"}) {  // sum_all = sum(reshape(x))
    INFO(op);
    const bf::OpTime* t = find(op);
    REQUIRE(t != nullptr);
    CHECK(t->calls == 1);
    CHECK(t->forward_s >= 0);
    CHECK(t->backward_s >= 0);
  }
  REQUIRE(find("optimizer") != nullptr);
  CHECK(table.front().op == "optimizer");  // 0.25 s: far above the rest, so first in the sorted table
  CHECK(find("optimizer")->backward_s == 0);

  // Profiling off: nothing more is counted.
  Tensor again = bf::sum_all(bf::relu(bf::matmul(x, w)));
  bf::backward(again);
  table = bf::op_profile_table();
  CHECK(find("matmul")->calls == 1);
  bf::op_profile_reset();
  CHECK(bf::op_profile_table().empty());
}
