#include "nn/official.h"

namespace bf {

const std::vector<OfficialConfiguration>& official_configurations() {
  static const std::vector<OfficialConfiguration> list = {
      {"pre_ln", "model=default", "exp_scripts/baseline_comparison.sh, \"Default Pre-LN\""},
      {"post_ln", "model=default model.norm_position=post", "no script runs it; the yaml key is norm_position"},
      {"parallel", "model=default-parallel", "exp_scripts/baseline_comparison.sh, \"Default Parallel block\""},
      {"skipless", "model=default model.attn_block_skip_gain=0 model.mlp_block_skip_gain=0",
       "no script runs it; both skip gains of default.yaml set to 0"},
      {"vskipinit", "model=skipless model.value_skip_gain=null model.proj_skip_gain=null model.val_init_type=orth",
       "exp_scripts/baseline_comparison.sh, \"Value-SkipInit\""},
      {"sas", "model=skipless", "exp_scripts/baseline_comparison.sh, \"Skip and VP-less (Fig 9)\""},
      {"sas_p", "model=skipless-parallel", "exp_scripts/baseline_comparison.sh, \"Parallel skip-and-VP-less (Fig 10)\""},
      {"sas_p_nonorm", "model=skipless-parallel model.norm_type=none",
       "exp_scripts/baseline_comparison.sh, \"Fig 10 but without normalisation\""},
  };
  return list;
}

namespace {

// The authors' MLP is leaky_relu with lrelu_neg_slope 0 (= ReLU), width 4 d; MyConv1D draws every
// N(0, s^2) weight with s = 0.02; RMSNorm and LayerNorm get GPT-2's layer_norm_epsilon, 1e-5.
bool model_fields_official(const ModelConfig& c) {
  const bool relu = c.activation == Activation::relu || (c.activation == Activation::leaky_relu && c.leaky_slope == 0);
  return relu && c.mlp_ratio == 4 && c.init_std == 0.02 && c.norm_eps == 1e-5;
}

const OfficialConfiguration* official_block(const BlockConfig& block) {
  for (const OfficialConfiguration& o : official_configurations())
    if (preset_block_config(o.preset) == block) return &o;
  return nullptr;
}

}  // namespace

const OfficialConfiguration* matching_official_configuration(const ModelConfig& c) {
  return model_fields_official(c) ? official_block(c.block) : nullptr;
}

std::string official_configuration_line(const ModelConfig& c) {
  if (const OfficialConfiguration* o = matching_official_configuration(c))
    return "official configuration: " + o->preset + " = the authors' run_clm.py " + o->overrides + " (" + o->where + ")";
  std::string why;
  if (const OfficialConfiguration* o = official_block(c.block)) {
    why = "the block is " + o->preset + "'s, but model.activation, mlp_ratio, init_std or norm_eps differ from the authors'";
  } else {
    for (const std::string& name : preset_names())
      if (preset_block_config(name) == c.block) why = "the block is the alternate preset " + name;
    if (why.empty()) why = "model.block matches no preset";
  }
  return "not an official configuration (" + why + "; docs/blocks.md, \"Provenance\")";
}

}  // namespace bf
