// The diagnostics' probe reads the forward pass off the tape (nn/probe.h): for every preset, each tensor
// it finds is the one the model actually passed on (the next block, or the head, reads it), and A is the
// causal softmax of the recorded scores, before shaping, against a naive computation.
#include <doctest/doctest.h>

#include <cmath>

#include "autograd/tape.h"
#include "model_fixtures.h"
#include "nn/probe.h"

using namespace bf;

namespace {

// True when some entry recorded within `scope` takes `x` (the same tensor, not a copy) as an input.
bool read_within(const std::vector<TapeEntry>& tape, const std::string& scope, const Tensor& x) {
  for (const TapeEntry& e : tape)
    if (scope_within(e.scope, scope))
      for (const Tensor& in : e.inputs)
        if (in.defined() && &in.impl() == &x.impl()) return true;
  return false;
}

// The scores [B, H, T, T] block `i`'s attention recorded (the input of its causal softmax op).
Tensor scores_of(const std::vector<TapeEntry>& tape, int i) {
  const std::string attn = "blocks." + std::to_string(i) + ".attn";
  for (const TapeEntry& e : tape)
    if (scope_within(e.scope, attn) && e.op.rfind("scale+softmax_causal", 0) == 0) return e.inputs.at(0);
  return Tensor();
}

}  // namespace

TEST_CASE("the probe finds each block's output and its attention probabilities on the tape, for every preset") {
  for (const std::string& preset : preset_names()) {
    CAPTURE(preset);
    ModelConfig c = test::tiny_config(preset);
    c.n_layer = 3;
    Gpt model(c, 5, DType::f64);
    test::randomize_parameters(model, 9);  // A away from C, A' away from A
    clear_tape();
    (void)model.forward(test::tokens_from({1, 2, 3, 4, 5, 6, 7, 8, 2, 4, 6, 8}, 2, 6));
    const ForwardProbe probe = probe_from_tape(model);
    const std::vector<TapeEntry>& tape = tape_entries();
    REQUIRE(probe.block_outputs.size() == 3);
    REQUIRE(probe.attention.size() == 3);
    CHECK(probe.embedding_output.shape() == Shape({2, 6, 8}));
    CHECK(read_within(tape, "blocks.0", probe.embedding_output));
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      const Tensor& out = probe.block_outputs[i];
      CHECK(out.shape() == Shape({2, 6, 8}));
      CHECK(read_within(tape, i < 2 ? "blocks." + std::to_string(i + 1) : std::string("head"), out));
      CHECK_FALSE(read_within(tape, "blocks." + std::to_string(i), out));  // not an intermediate of block i

      // A = softmax(s X + M) row by row from the recorded scores X, s = 1/sqrt(d_k) with d_k = 4.
      const Tensor scores = scores_of(tape, i);
      REQUIRE(scores.defined());
      const Tensor a = probe.attention[i].probabilities();
      REQUIRE(a.shape() == Shape({2, 2, 6, 6}));
      const std::vector<double> x = scores.to_f64_vector(), got = a.to_f64_vector();
      const double s = 1.0 / std::sqrt(4.0);
      double worst = 0;
      for (int64_t row = 0; row < 2 * 2 * 6; ++row) {
        const int64_t r = row % 6;
        double m = -INFINITY, z = 0;
        for (int64_t j = 0; j <= r; ++j) m = std::max(m, s * x[row * 6 + j]);
        for (int64_t j = 0; j <= r; ++j) z += std::exp(s * x[row * 6 + j] - m);
        for (int64_t j = 0; j < 6; ++j) {
          const double want = j <= r ? std::exp(s * x[row * 6 + j] - m) / z : 0.0;
          worst = std::max(worst, std::abs(got[row * 6 + j] - want));
        }
      }
      CHECK(worst < 1e-12);
    }
    clear_tape();
  }
}

TEST_CASE("the probe refuses a tape without the forward pass (NoGradGuard records nothing)") {
  Gpt model(test::tiny_config("pre_ln"), 0, DType::f64);
  clear_tape();
  {
    NoGradGuard no_grad;
    (void)model.forward(test::tokens_from({1, 2, 3}, 1, 3));
  }
  CHECK_THROWS_WITH_AS(probe_from_tape(model), doctest::Contains("holds no forward pass"), Error);
}
