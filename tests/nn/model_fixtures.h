// Small helpers shared by the nn tests: the tiny model of the oracle and random parameter values.
#pragma once
#include "nn/gpt.h"

namespace bf::test {

// The oracle's tiny size: 2 layers, d 8, 2 heads, vocab 11, 8 positions, MLP ratio 4.
inline ModelConfig tiny_config(const std::string& preset) {
  ModelConfig c = preset_model(preset);
  c.n_layer = 2, c.d_model = 8, c.n_head = 2, c.vocab_size = 11, c.max_seq_len = 8, c.mlp_ratio = 4;
  return c;
}

// Overwrites every parameter with random values away from the preset's special initial values, so that
// every path (queries, attention gains, reparameterised deltas) carries gradient.
inline void randomize_parameters_of(const ParameterSet& params, uint64_t seed) {
  Rng rng(seed);
  for (const Parameter& p : params.all()) {
    const double center = p.group == ParamGroup::norm && p.name.ends_with(".weight") ? 1.0
                          : p.group == ParamGroup::gain                              ? 1.0
                                                                                     : 0.0;
    const double spread = p.group == ParamGroup::gain ? 0.2 : p.group == ParamGroup::norm ? 0.1 : 0.3;
    Tensor values = Tensor::randn(p.value.shape(), rng, center, spread, p.value.dtype(), p.value.device());
    Tensor target = p.value;
    target.copy_from(values);
  }
}
inline void randomize_parameters(Gpt& model, uint64_t seed) { randomize_parameters_of(model.parameters(), seed); }

inline Tensor tokens_from(const std::vector<int32_t>& values, int64_t batch, int64_t t) {
  return Tensor::from_vector(values, Shape{batch, t});
}

}  // namespace bf::test
