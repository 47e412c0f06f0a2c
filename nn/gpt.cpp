#include "nn/gpt.h"

#include "autograd/ops.h"
#include "core/storage.h"

namespace bf {

Gpt::Gpt(const ModelConfig& config, uint64_t seed, DType dtype, Device device)
    : config_(config), dtype_(dtype), device_(device) {
  config_.dtype = dtype;  // what was built, whatever the config asked for (callers pass config.dtype)
  validate(config_);
  AllocationContext context("the parameters of a " + config.preset + " model");
  Rng rng(seed);
  InitContext ctx{params_, rng, dtype, device, config.init_std};
  const int64_t d = config.d_model;
  tok_emb_ = params_.add("tok_emb.weight", ctx.normal({config.vocab_size, d}, config.init_std), ParamGroup::embedding);
  pos_emb_ = params_.add("pos_emb.weight", ctx.normal({config.max_seq_len, d}, config.init_std), ParamGroup::embedding);
  for (int i = 0; i < config.n_layer; ++i) blocks_.emplace_back(ctx, spec_for(config, i));
  norm_f_ = Norm(ctx, "norm_f", NormKind::layernorm, d, config.norm_eps);
}

Tensor Gpt::forward(const Tensor& tokens) const { return forward_from(tokens, nullptr); }

Tensor Gpt::forward(const Tensor& tokens, KvCache& cache) const {
  BF_CHECK(cache.layers() == blocks_.size() && cache.capacity() == config_.max_seq_len,
           "model: the KV cache was made for another model config");
  BF_CHECK(tokens.ndim() == 2 && tokens.size(0) == cache.batch(), "model: tokens ", tokens.shape(),
           " do not match a KV cache of batch ", cache.batch());
  return forward_from(tokens, &cache);
}

Tensor Gpt::forward_from(const Tensor& tokens, KvCache* cache) const {
  BF_CHECK(tokens.ndim() == 2 && tokens.dtype() == DType::i32, "model: tokens must be i32 [B, T], got ",
           tokens.shape(), " ", dtype_name(tokens.dtype()));
  const int64_t batch = tokens.size(0), t = tokens.size(1), first = cache ? cache->length() : 0;
  BF_CHECK(first + t <= config_.max_seq_len, "model: sequence length ", first + t, " exceeds model.max_seq_len = ",
           config_.max_seq_len);
  // Positions first .. first+T-1 (0 .. T-1 without a cache), the same for every sequence of the batch.
  std::vector<int32_t> positions(batch * t);
  for (int64_t i = 0; i < batch * t; ++i) positions[i] = static_cast<int32_t>(first + i % t);
  Tensor pos_ids = Tensor::from_vector(positions, Shape{batch, t}, tokens.device());

  Tensor x;
  {
    ScopeGuard scope("embed");
    Tensor tok = embedding(tok_emb_, tokens);   // [B, T, d]
    Tensor pos = embedding(pos_emb_, pos_ids);  // [B, T, d]
    x = add(tok, pos);
  }
  for (size_t i = 0; i < blocks_.size(); ++i) {
    ScopeGuard scope(blocks_[i].name());
    x = blocks_[i].forward(x, cache ? &cache->layer(i) : nullptr);
  }
  ScopeGuard scope("head");
  return linear(norm_f_.forward(x), tok_emb_);  // tied head: logits = x E^T
}

Tensor Gpt::loss(const Tensor& tokens, const Tensor& targets) const {
  Tensor logits = forward(tokens);
  const int64_t rows = logits.size(0) * logits.size(1);
  BF_CHECK(targets.shape() == tokens.shape(), "model: targets ", targets.shape(), " must match tokens ", tokens.shape());
  ScopeGuard scope("loss");
  return cross_entropy(reshape(logits, {rows, logits.size(2)}), targets.view({rows}));
}

}  // namespace bf
