#include "nn/parameter_table.h"

#include "nn/block_spec.h"

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
};

}  // namespace

std::vector<ParameterShape> parameter_table(const ModelConfig& c) {
  TableBuilder b;
  const int64_t d = c.d_model;
  b.add("tok_emb.weight", {c.vocab_size, d}, ParamGroup::embedding);
  b.add("pos_emb.weight", {c.max_seq_len, d}, ParamGroup::embedding);
  for (int i = 0; i < c.n_layer; ++i) {
    const BlockSpec s = spec_for(c, i);
    const std::string p = block_name(i);
    // Block (nn/block.cpp): the norms first; a parallel block's one norm is norm1.
    if (s.layout == BlockLayout::parallel) {
      b.norm(p + ".norm1", s.parallel().norm, d);
    } else {
      b.norm(p + ".norm1", s.sub_blocks().norm1, d);
      b.norm(p + ".norm2", s.sub_blocks().norm2, d);
    }
    // Attention (nn/attention.cpp)
    const AttentionSpec& a = s.attention;
    b.add(p + ".attn.q.weight", {d, d}, ParamGroup::matrix);
    b.add(p + ".attn.q.bias", {d}, ParamGroup::bias);
    b.add(p + ".attn.k.weight", {d, d}, ParamGroup::matrix);
    b.add(p + ".attn.k.bias", {d}, ParamGroup::bias);
    b.square(p + ".attn.v", a.value, d);
    b.square(p + ".attn.proj", a.proj, d);
    if (a.kind != AttentionKind::softmax) {
      b.add(p + ".attn.alpha", {a.n_head}, ParamGroup::gain);
      b.add(p + ".attn.beta", {a.n_head}, ParamGroup::gain);
      if (a.kind == AttentionKind::shaped) b.add(p + ".attn.gamma", {a.n_head}, ParamGroup::gain);
    }
    // Mlp
    b.add(p + ".mlp.fc.weight", {s.mlp.ratio * d, d}, ParamGroup::matrix);
    b.add(p + ".mlp.proj.weight", {d, s.mlp.ratio * d}, ParamGroup::matrix);
    // The gains of the block's layout, trainable ones only (BranchGain)
    auto gain = [&](const char* name, const Gain& g) {
      if (g.trainable) b.add(p + ".gain." + name, {1}, ParamGroup::gain);
    };
    std::visit([&](const auto& terms) { for_each_gain(terms, gain); }, s.terms);
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
