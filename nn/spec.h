// What a model is, as data. `BlockConfig` is `model.block` as a config writes it: flat, every key always
// present, so that configs, the resolved config.json and the config hash never depend on which keys a
// layout reads. `ModelConfig` holds it with the model's sizes. What one block is built from, with only
// the terms its layout has, is a `BlockSpec` (nn/block_spec.h), resolved from these by spec_for().
// Presets (nn/presets.cpp) fill a BlockConfig; JSON overrides any field.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"

namespace bf {

enum class AttentionKind { softmax, shaped, skipinit };  // A; alpha I + beta A - gamma C (Eq. 5); alpha I + beta A (Eq. 4)
enum class MatrixKind { trained, identity, reparam };    // W; I (no parameter); alpha I + beta dW (dW = 0 at init)
enum class MatrixInit { normal, orthogonal };            // how a trained W^V / W^P starts
enum class NormKind { rmsnorm, layernorm, none };
enum class Activation { relu, gelu, leaky_relu };
// Where a sequential block's two norms sit (model.block.norm_position; docs/blocks.md, "Post-LN: two
// definitions"). With model.block.parallel it picks the block's layout (nn/block_spec.h, BlockLayout).
enum class NormPosition { pre, post, post_textbook };

// Each enum's names as configs spell them, in the order error messages list them: the one table that
// to_string() and the config schema (train/config.cpp) both read.
template <class E>
using EnumNames = std::vector<std::pair<std::string, E>>;
template <class E>
const EnumNames<E>& enum_names();
template <>
const EnumNames<AttentionKind>& enum_names<AttentionKind>();
template <>
const EnumNames<MatrixKind>& enum_names<MatrixKind>();
template <>
const EnumNames<MatrixInit>& enum_names<MatrixInit>();
template <>
const EnumNames<NormKind>& enum_names<NormKind>();
template <>
const EnumNames<Activation>& enum_names<Activation>();
template <>
const EnumNames<NormPosition>& enum_names<NormPosition>();

std::string to_string(AttentionKind kind);
std::string to_string(MatrixKind kind);
std::string to_string(NormKind kind);
std::string to_string(Activation kind);
std::string to_string(MatrixInit kind);
std::string to_string(NormPosition kind);

// One scalar gain of Eq. 1 / Eq. 7.
struct Gain {
  double init = 1.0;
  bool trainable = false;
  // A fixed 0 removes its branch: the branch is not computed at all (BranchGain::apply), describe leaves
  // the term out, and a block needs at least one branch that is not absent (validate). Decided here only.
  bool absent() const { return !trainable && init == 0; }
  bool operator==(const Gain&) const = default;
};

// model.block, key for key. Which fields a block reads depends on its layout (nn/block_spec.h):
// `parallel` with `norm_position` picks the layout; a parallel block reads a_FF as its a_comb and
// ignores a_SA and norm2; first_value and first_norm1 replace value and norm1 in block 0 only.
struct BlockConfig {
  bool parallel = false;  // Eq. 7 instead of Eq. 1
  NormPosition norm_position = NormPosition::pre;  // sequential blocks only
  Gain a_SA, b_SA, a_FF, b_FF;
  NormKind norm1 = NormKind::rmsnorm;
  NormKind norm2 = NormKind::rmsnorm;
  AttentionKind attention = AttentionKind::softmax;
  MatrixKind value = MatrixKind::trained;
  MatrixKind proj = MatrixKind::trained;
  MatrixInit value_proj_init = MatrixInit::normal;
  bool zero_init_queries = false;  // W^Q = 0 and b^Q = 0, so A = C at init
  // The first block's special cases: SAS keeps a value matrix there (I + dW), and SAS-P without norms
  // puts a LayerNorm at the model's input, which is block 0's norm1.
  MatrixKind first_value = MatrixKind::trained;
  NormKind first_norm1 = NormKind::rmsnorm;

  bool operator==(const BlockConfig&) const = default;
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
  BlockConfig block;
};

const std::vector<std::string>& preset_names();
BlockConfig preset_block_config(const std::string& preset);  // bf::Error naming the valid presets otherwise
ModelConfig preset_model(const std::string& preset);         // the preset's block at the default CPU size
void validate(const ModelConfig& config);                    // cross-field checks, bf::Error naming the field

}  // namespace bf
