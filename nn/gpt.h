// The GPT model: token embedding + learned absolute positions, N blocks, final LayerNorm, and a head
// tied to the token embedding (logits = x E^T).
#pragma once
#include <vector>

#include "nn/block.h"

namespace bf {

class Gpt {
 public:
  // Builds and initialises every parameter from `seed` (the same seed gives the same model), in `dtype`
  // (config().dtype reports it; the trainer and the CLI pass the config's model.dtype).
  Gpt(const ModelConfig& config, uint64_t seed, DType dtype = DType::f32, Device device = Device::cpu);

  // i32 [B, T] -> logits [B, T, V]. Each op is recorded under the scope of its layer ("embed",
  // "blocks.{i}", "blocks.{i}.attn", "blocks.{i}.mlp", "head"), which is where the diagnostics read the
  // pass (nn/probe.h).
  Tensor forward(const Tensor& tokens) const;
  // Inference with a KV cache: `tokens` are the T positions after the cache.length() already read (at
  // positions length .. length+T-1); returns their logits [B, T, V] and leaves them in the cache. Equal
  // to the rows of forward() on the whole sequence, to rounding. bf::Error past model.max_seq_len.
  Tensor forward(const Tensor& tokens, KvCache& cache) const;
  // Mean cross-entropy, targets i32 [B, T].
  Tensor loss(const Tensor& tokens, const Tensor& targets) const;

  const ModelConfig& config() const { return config_; }
  ParameterSet& parameters() { return params_; }
  const ParameterSet& parameters() const { return params_; }
  const std::vector<Block>& blocks() const { return blocks_; }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }

 private:
  Tensor forward_from(const Tensor& tokens, KvCache* cache) const;
  ModelConfig config_;
  DType dtype_;
  Device device_;
  ParameterSet params_;
  Tensor tok_emb_, pos_emb_;
  std::vector<Block> blocks_;
  Norm norm_f_;
};

}  // namespace bf
