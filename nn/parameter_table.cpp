#include "nn/parameter_table.h"

namespace bf {
namespace {

struct TableBuilder {
  std::vector<ParameterShape> table;
  void add(const std::string& name, std::vector<int64_t> shape, ParamGroup group) {
    table.push_back({name, std::move(shape), group});
  }
  // Norm (nn/layers.cpp): a weight, and a bias for LayerNorm; nothing for none.
  void norm(const std::string& prefix, NormKind kind, int64_t d) {
    if (kind == NormKind::none) return;
    add(prefix + ".weight", {d}, ParamGroup::norm);
    if (kind == NormKind::layernorm) add(prefix + ".bias", {d}, ParamGroup::norm);
  }
  // SquareMatrix: trained W, nothing for the identity, alpha / beta / delta for reparam.
  void square(const std::string& prefix, MatrixKind kind, int64_t d) {
    if (kind == MatrixKind::trained) {
      add(prefix + ".weight", {d, d}, ParamGroup::matrix);
    } else if (kind == MatrixKind::reparam) {
      add(prefix + ".alpha", {1}, ParamGroup::gain);
      add(prefix + ".beta", {1}, ParamGroup::gain);
      add(prefix + ".delta", {d, d}, ParamGroup::matrix);
    }
  }
  void gain(const std::string& name, const Gain& g) {
    if (g.trainable) add(name, {1}, ParamGroup::gain);
  }
};

}  // namespace

std::vector<ParameterShape> parameter_table(const ModelConfig& c) {
  TableBuilder b;
  const int64_t d = c.d_model;
  const BlockSpec& s = c.block;
  b.add("tok_emb.weight", {c.vocab_size, d}, ParamGroup::embedding);
  b.add("pos_emb.weight", {c.max_seq_len, d}, ParamGroup::embedding);
  for (int i = 0; i < c.n_layer; ++i) {
    const std::string p = "blocks." + std::to_string(i);
    const bool first = i == 0;
    b.norm(p + ".norm1", first ? s.first_norm1 : s.norm1, d);
    if (!s.parallel) b.norm(p + ".norm2", s.norm2, d);
    // Attention (nn/attention.cpp)
    b.add(p + ".attn.q.weight", {d, d}, ParamGroup::matrix);
    b.add(p + ".attn.q.bias", {d}, ParamGroup::bias);
    b.add(p + ".attn.k.weight", {d, d}, ParamGroup::matrix);
    b.add(p + ".attn.k.bias", {d}, ParamGroup::bias);
    b.square(p + ".attn.v", first ? s.first_value : s.value, d);
    b.square(p + ".attn.proj", s.proj, d);
    if (s.attention != AttentionKind::softmax) {
      b.add(p + ".attn.alpha", {c.n_head}, ParamGroup::gain);
      b.add(p + ".attn.beta", {c.n_head}, ParamGroup::gain);
      if (s.attention == AttentionKind::shaped) b.add(p + ".attn.gamma", {c.n_head}, ParamGroup::gain);
    }
    // Mlp
    b.add(p + ".mlp.fc.weight", {int64_t{c.mlp_ratio} * d, d}, ParamGroup::matrix);
    b.add(p + ".mlp.proj.weight", {d, int64_t{c.mlp_ratio} * d}, ParamGroup::matrix);
    // Gains in every layout (nn/block.cpp); a parallel block has no a_SA.
    if (!s.parallel) b.gain(p + ".gain.a_SA", s.a_SA);
    b.gain(p + ".gain.b_SA", s.b_SA);
    b.gain(p + ".gain.a_FF", s.a_FF);
    b.gain(p + ".gain.b_FF", s.b_FF);
  }
  b.norm("norm_f", NormKind::layernorm, d);
  return b.table;
}

int64_t parameter_count(const std::vector<ParameterShape>& table) {
  int64_t total = 0;
  for (const ParameterShape& p : table) {
    int64_t n = 1;
    for (int64_t dim : p.shape)
      if (__builtin_mul_overflow(n, dim, &n)) return -1;
    if (__builtin_add_overflow(total, n, &total)) return -1;
  }
  return total;
}

}  // namespace bf
