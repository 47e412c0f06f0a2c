// What one block is built from: its layout with only the terms that layout has, its attention and its
// MLP, with block 0's special cases already applied. spec_for() resolves it from the ModelConfig, once
// per block, and is the only code that reads BlockConfig's layout-dependent fields (nn/spec.h), so no
// constructor special-cases block 0 or asks which fields its layout uses.
#pragma once
#include <cstdint>
#include <string>
#include <variant>

#include "nn/spec.h"

namespace bf {

// The four ways a block arranges its two sub-blocks (docs/blocks.md, "The equations"):
//   sequential        Xh = a_SA X + b_SA MHA(N1(X));             X_out = a_FF Xh + b_FF MLP(N2(Xh))      (Eq. 1, Pre-LN)
//   parallel          X_out = a_comb X + b_SA MHA(N(X)) + b_FF MLP(N(X))                                 (Eq. 7)
//   post_ln           Xn = N1(X); Xh = a_SA Xn + b_SA MHA(Xn);   Xm = N2(Xh); X_out = a_FF Xm + b_FF MLP(Xm)
//                     (the authors' code, norm_position: post: it normalises the block's input, not its output)
//   post_ln_textbook  Xh = N1(a_SA X + b_SA MHA(X));             X_out = N2(a_FF Xh + b_FF MLP(Xh))     (Vaswani et al.)
enum class BlockLayout { sequential, parallel, post_ln, post_ln_textbook };
const char* to_string(BlockLayout layout);

// The terms of the three layouts with two sub-blocks, each with its own norm, skip gain a and branch gain
// b. Written once for the spec (NormKind, Gain) and for the block that is built from it (Norm, BranchGain).
template <class N, class G>
struct TwoSubBlocksOf {
  N norm1{}, norm2{};
  G a_SA{}, b_SA{}, a_FF{}, b_FF{};
};
// The terms of a parallel block: one norm shared by both branches, and one skip, a_comb.
template <class N, class G>
struct ParallelBranchesOf {
  N norm{};
  G a_comb{}, b_SA{}, b_FF{};
};
using TwoSubBlocks = TwoSubBlocksOf<NormKind, Gain>;
using ParallelBranches = ParallelBranchesOf<NormKind, Gain>;

// Calls f(name, a's gain, b's gain) for each gain of two terms of one layout, in the order the block
// registers their parameters. `name` is the one name of that gain everywhere: the last part of its
// parameter, blocks.{i}.gain.{name}, its model.block key and its diagnostics key. a_comb's is "a_FF",
// the key that sets it, so checkpoints and metrics name it as they always have.
template <class A, class B, class F>
void for_each_gain(A& a, B& b, F&& f) {
  if constexpr (requires { a.a_comb; }) {
    f("b_SA", a.b_SA, b.b_SA), f("a_FF", a.a_comb, b.a_comb), f("b_FF", a.b_FF, b.b_FF);
  } else {
    f("a_SA", a.a_SA, b.a_SA), f("b_SA", a.b_SA, b.b_SA), f("a_FF", a.a_FF, b.a_FF), f("b_FF", a.b_FF, b.b_FF);
  }
}
template <class A, class F>
void for_each_gain(A& a, F&& f) {
  for_each_gain(a, a, [&](const char* name, auto& g, auto&) { f(name, g); });
}

// Multi-head attention (nn/attention.h).
struct AttentionSpec {
  int64_t d_model = 0, n_head = 1;
  AttentionKind kind = AttentionKind::softmax;
  bool zero_init_queries = false;  // W^Q = 0 and b^Q = 0, so A = C at init
  MatrixKind value = MatrixKind::trained, proj = MatrixKind::trained;
  MatrixInit value_proj_init = MatrixInit::normal;  // of a trained W^V or W^P
};

// MLP(x) = act(x W_fc^T) W_proj^T (nn/layers.h).
struct MlpSpec {
  int64_t d_model = 0;
  int ratio = 4;
  Activation activation = Activation::relu;
  double leaky_slope = 0.2;
};

// "blocks.{i}": the prefix of block i's parameters, its tape scope and its row in the diagnostics.
std::string block_name(int index);

struct BlockSpec {
  int index = 0;
  BlockLayout layout = BlockLayout::sequential;
  // ParallelBranches exactly when layout is parallel; TwoSubBlocks for the other three.
  std::variant<TwoSubBlocks, ParallelBranches> terms;
  AttentionSpec attention;
  MlpSpec mlp;
  double norm_eps = 1e-5;

  const TwoSubBlocks& sub_blocks() const { return std::get<TwoSubBlocks>(terms); }
  const ParallelBranches& parallel() const { return std::get<ParallelBranches>(terms); }
};

// The layout that model.block.parallel and model.block.norm_position pick (validate() refuses a parallel
// block with a norm_position other than pre).
BlockLayout layout_of(const BlockConfig& block);

// Block `index` of `config` (0 <= index < n_layer): block 0 takes first_norm1 and first_value.
BlockSpec spec_for(const ModelConfig& config, int index);

}  // namespace bf
