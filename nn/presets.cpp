// The presets of docs/blocks.md's table, each a BlockConfig. `*` in the table = trainable. Each official
// preset is the block the authors' code builds for its configuration (docs/blocks.md, "Provenance"); the
// two alternates, post_ln_textbook and vskipinit_eq4, are the textbook Post-LN and the paper's Eq. 4.
#include "core/error.h"
#include "nn/spec.h"

namespace bf {

const std::vector<std::string>& preset_names() {
  static const std::vector<std::string> names = {"pre_ln",   "post_ln",   "post_ln_textbook", "parallel",
                                                 "skipless", "vskipinit", "vskipinit_eq4",    "sas",
                                                 "sas_p",    "sas_p_nonorm"};
  return names;
}

BlockConfig preset_block_config(const std::string& preset) {
  const Gain one{1.0, false}, zero{0.0, false}, one_trained{1.0, true}, b_ff_trained{0.1, true};
  BlockConfig s;  // defaults: sequential, RMSNorm x2, softmax, trained V/P with N(0, 0.02^2)
  if (preset == "pre_ln") {
    s.a_SA = one, s.b_SA = one, s.a_FF = one, s.b_FF = one;
  } else if (preset == "post_ln" || preset == "post_ln_textbook") {
    s.norm_position = preset == "post_ln" ? NormPosition::post : NormPosition::post_textbook;
    s.a_SA = one, s.b_SA = one, s.a_FF = one, s.b_FF = one;
  } else if (preset == "parallel") {
    // a_FF is the block's a_comb. A parallel block has no a_SA and no norm2 (nn/block_spec.h); the preset
    // still writes them as 0 and none, the values every resolved config and config hash of it has had.
    s.parallel = true;
    s.a_FF = one, s.b_SA = one, s.b_FF = one, s.a_SA = zero;
    s.norm2 = NormKind::none;
  } else if (preset == "skipless") {
    s.a_SA = zero, s.b_SA = one, s.a_FF = zero, s.b_FF = one;
  } else if (preset == "vskipinit") {
    // The authors' Value-SkipInit run: SAS's block with trained, orthogonally initialised W^V and W^P.
    s.a_SA = zero, s.b_SA = one_trained, s.a_FF = one_trained, s.b_FF = b_ff_trained;
    s.attention = AttentionKind::shaped;
    s.zero_init_queries = true;
    s.value_proj_init = MatrixInit::orthogonal;
  } else if (preset == "vskipinit_eq4") {
    // The paper's Eq. 4: A' = alpha I + beta A with beta = 0 at init, no centring, queries N(0, s^2).
    s.a_SA = zero, s.b_SA = one_trained, s.a_FF = one_trained, s.b_FF = b_ff_trained;
    s.attention = AttentionKind::skipinit;
    s.value_proj_init = MatrixInit::orthogonal;
  } else if (preset == "sas" || preset == "sas_p" || preset == "sas_p_nonorm") {
    s.a_SA = zero, s.b_SA = one_trained, s.a_FF = one_trained, s.b_FF = b_ff_trained;
    s.attention = AttentionKind::shaped;
    s.zero_init_queries = true;
    s.value = MatrixKind::identity, s.proj = MatrixKind::identity;
    s.first_value = MatrixKind::reparam;
    if (preset != "sas") {
      s.parallel = true;
      s.a_FF = zero;  // a_comb = 0: no skip at all (a_SA and norm2 are not terms of the block)
      s.norm2 = NormKind::none;
    }
    if (preset == "sas_p_nonorm") s.norm1 = NormKind::none;
  } else {
    std::string valid;
    for (const auto& n : preset_names()) valid += (valid.empty() ? "" : ", ") + n;
    fail("model.preset: unknown preset \"", preset, "\" (expected one of ", valid, ")");
  }
  s.first_norm1 = preset == "sas_p_nonorm" ? NormKind::layernorm : s.norm1;
  if (s.first_value != MatrixKind::reparam) s.first_value = s.value;
  return s;
}

ModelConfig preset_model(const std::string& preset) {
  ModelConfig c;
  c.preset = preset;
  c.block = preset_block_config(preset);
  return c;
}

void validate(const ModelConfig& c) {
  BF_CHECK(c.n_layer >= 1, "model.n_layer: expected at least 1, got ", c.n_layer);
  BF_CHECK(c.d_model >= 1 && c.n_head >= 1, "model.d_model and model.n_head must be positive, got ", c.d_model,
           " and ", c.n_head);
  BF_CHECK(c.d_model % c.n_head == 0, "model.d_model: ", c.d_model, " is not divisible by model.n_head = ", c.n_head);
  BF_CHECK(c.vocab_size >= 2, "model.vocab_size: expected at least 2, got ", c.vocab_size);
  BF_CHECK(c.max_seq_len >= 1, "model.max_seq_len: expected at least 1, got ", c.max_seq_len);
  BF_CHECK(c.mlp_ratio >= 1, "model.mlp_ratio: expected at least 1, got ", c.mlp_ratio);
  BF_CHECK(c.init_std > 0, "model.init_std: expected a positive number, got ", c.init_std);
  // RMSNorm divides by rms + eps and LayerNorm by sqrt(var + eps): with eps = 0 an all-zero row gives 0/0 = NaN.
  BF_CHECK(c.norm_eps > 0, "model.norm_eps: expected a positive number, got ", c.norm_eps,
           " (with eps = 0 an all-zero row makes RMSNorm and LayerNorm compute 0/0)");
  BF_CHECK(c.dtype == DType::f32 || c.dtype == DType::f64, "model.dtype: expected f32 or f64, got ", dtype_name(c.dtype));
  const BlockConfig& b = c.block;
  BF_CHECK(!b.parallel || b.norm_position == NormPosition::pre, "model.block.norm_position: \"", to_string(b.norm_position),
           "\" is for sequential blocks; a parallel block (model.block.parallel = true) has its one norm before both branches");
  BF_CHECK(!b.b_SA.absent() || !b.b_FF.absent(), "model.block: b_SA and b_FF are both 0 and fixed, so the block computes nothing");
}

}  // namespace bf
