// What a model is, as data: the BlockSpec every variant of the paper is an instance of (docs/design.md,
// "The block family"), and the ModelConfig around it. Presets (nn/presets.cpp) fill these; JSON
// overrides any field.
#pragma once
#include <string>
#include <vector>

#include "core/dtype.h"

namespace bf {

enum class AttentionKind { softmax, shaped, skipinit };  // A; alpha I + beta A - gamma C (Eq. 5); alpha I + beta A (Eq. 4)
enum class MatrixKind { trained, identity, reparam };    // W; I (no parameter); alpha I + beta dW (dW = 0 at init)
enum class MatrixInit { normal, orthogonal };            // how a trained W^V / W^P starts
enum class NormKind { rmsnorm, layernorm, none };
enum class Activation { relu, gelu, leaky_relu };
// Where a sequential block's two norms sit (docs/blocks.md, "Post-LN: two definitions"):
//   pre:           Xh = a_SA X + b_SA MHA(N1(X));             X_out = a_FF Xh + b_FF MLP(N2(Xh))        (Eq. 1)
//   post:          Xn = N1(X); Xh = a_SA Xn + b_SA MHA(Xn);   Xm = N2(Xh); X_out = a_FF Xm + b_FF MLP(Xm)
//                  (the authors' code, norm_position: post: it normalises the block's input, not its output)
//   post_textbook: Xh = N1(a_SA X + b_SA MHA(X));             X_out = N2(a_FF Xh + b_FF MLP(Xh))       (Vaswani et al.)
enum class NormPosition { pre, post, post_textbook };

// One scalar gain of Eq. 1 / Eq. 7. init = 0 removes its branch (it is not computed at all).
struct Gain {
  double init = 1.0;
  bool trainable = false;
  bool operator==(const Gain&) const = default;
};

struct BlockSpec {
  bool parallel = false;  // Eq. 7 instead of Eq. 1
  NormPosition norm_position = NormPosition::pre;  // sequential blocks only
  Gain a_SA, b_SA, a_FF, b_FF;  // in a parallel block a_FF is a_comb
  NormKind norm1 = NormKind::rmsnorm;
  NormKind norm2 = NormKind::rmsnorm;  // unused by parallel blocks (one shared norm)
  AttentionKind attention = AttentionKind::softmax;
  MatrixKind value = MatrixKind::trained;
  MatrixKind proj = MatrixKind::trained;
  MatrixInit value_proj_init = MatrixInit::normal;
  bool zero_init_queries = false;  // W^Q = 0 and b^Q = 0, so A = C at init
  // The first block's special cases: SAS keeps a value matrix there (I + dW), and SAS-P without norms
  // puts a LayerNorm at the model's input, which is block 0's norm1.
  MatrixKind first_value = MatrixKind::trained;
  NormKind first_norm1 = NormKind::rmsnorm;

  bool operator==(const BlockSpec&) const = default;
};

struct ModelConfig {
  std::string preset = "pre_ln";
  int n_layer = 6;
  int d_model = 256;
  int n_head = 4;
  int vocab_size = 256;
  int max_seq_len = 128;
  int mlp_ratio = 4;
  Activation activation = Activation::relu;
  double leaky_slope = 0.2;
  double init_std = 0.02;
  double norm_eps = 1e-5;
  DType dtype = DType::f32;  // of every parameter and activation: f32, or f64 to compare with a reference in double
  BlockSpec block;
};

const std::vector<std::string>& preset_names();
BlockSpec preset_block_spec(const std::string& preset);  // bf::Error naming the valid presets otherwise
ModelConfig preset_model(const std::string& preset);     // the preset's block at the default CPU size
void validate(const ModelConfig& config);                // cross-field checks, bf::Error naming the field

std::string to_string(AttentionKind kind);
std::string to_string(MatrixKind kind);
std::string to_string(NormKind kind);
std::string to_string(Activation kind);
std::string to_string(MatrixInit kind);
std::string to_string(NormPosition kind);

}  // namespace bf
