#include "nn/describe.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "nn/block_spec.h"
#include "nn/official.h"

namespace bf {
namespace {

std::string gain_text(const Gain& g) {
  std::ostringstream out;
  out << g.init << (g.trainable ? "*" : "");
  return out.str();
}

std::string norm_text(NormKind k, const std::string& arg) {
  return k == NormKind::none ? arg : (k == NormKind::rmsnorm ? "RMSNorm(" : "LayerNorm(") + arg + ")";
}

// "a X + b F(...)" with absent terms left out and gains of a fixed 1 written as nothing.
std::string term(const Gain& g, const std::string& what) {
  if (g.absent()) return "";
  if (!g.trainable && g.init == 1) return what;
  return gain_text(g) + " " + what;
}

std::string join_terms(const std::vector<std::string>& terms) {
  std::string out;
  for (const auto& t : terms)
    if (!t.empty()) out += (out.empty() ? "" : " + ") + t;
  return out.empty() ? "0" : out;
}

std::string matrix_text(MatrixKind k) {
  return k == MatrixKind::trained ? "trained W" : k == MatrixKind::identity ? "identity" : "alpha I + beta dW (dW = 0 at init)";
}

}  // namespace

std::string describe_block_equations(const ModelConfig& c) {
  // Blocks 1 and up, and block 0 where it differs (a one-block model is described as its blocks would be).
  ModelConfig two_blocks = c;
  two_blocks.n_layer = std::max(c.n_layer, 2);
  const BlockSpec first = spec_for(two_blocks, 0), s = spec_for(two_blocks, 1);
  std::ostringstream out;
  auto block0_norm = [&](NormKind first_norm1, NormKind norm1, const std::string& arg) {
    if (first_norm1 != norm1)
      out << "    (block 0 uses " << norm_text(first_norm1, arg) << " in place of " << norm_text(norm1, arg) << ")\n";
  };
  if (s.layout == BlockLayout::parallel) {
    const ParallelBranches& p = s.parallel();
    const std::string n = norm_text(p.norm, "X");
    out << "  Parallel block (Eq. 7):\n"
        << "    X_out = "
        << join_terms({term(p.a_comb, "X"), term(p.b_SA, "MHA(" + n + ")"), term(p.b_FF, "MLP(" + n + ")")}) << "\n";
    block0_norm(first.parallel().norm, p.norm, "X");
  } else {
    const TwoSubBlocks& t = s.sub_blocks();
    const std::string n1 = norm_text(t.norm1, "X");
    switch (s.layout) {
      case BlockLayout::post_ln:
        out << "  Post-LN block (the authors' norm_position: post; norms before the skips):\n"
            << "    Xn    = " << n1 << "\n"
            << "    Xh    = " << join_terms({term(t.a_SA, "Xn"), term(t.b_SA, "MHA(Xn)")}) << "\n"
            << "    Xm    = " << norm_text(t.norm2, "Xh") << "\n"
            << "    X_out = " << join_terms({term(t.a_FF, "Xm"), term(t.b_FF, "MLP(Xm)")}) << "\n";
        block0_norm(first.sub_blocks().norm1, t.norm1, "X");
        break;
      case BlockLayout::post_ln_textbook:
        out << "  Post-LN block (textbook; norms after the sums):\n"
            << "    Xh    = " << norm_text(t.norm1, join_terms({term(t.a_SA, "X"), term(t.b_SA, "MHA(X)")})) << "\n"
            << "    X_out = " << norm_text(t.norm2, join_terms({term(t.a_FF, "Xh"), term(t.b_FF, "MLP(Xh)")})) << "\n";
        block0_norm(first.sub_blocks().norm1, t.norm1, "...");
        break;
      default:
        out << "  Sequential block (Eq. 1):\n"
            << "    Xh    = " << join_terms({term(t.a_SA, "X"), term(t.b_SA, "MHA(" + n1 + ")")}) << "\n"
            << "    X_out = " << join_terms({term(t.a_FF, "Xh"), term(t.b_FF, "MLP(" + norm_text(t.norm2, "Xh") + ")")})
            << "\n";
        block0_norm(first.sub_blocks().norm1, t.norm1, "X");
        break;
    }
  }
  // The four gain keys of model.block as the config holds them (a parallel block reads a_FF as its
  // a_comb and has no a_SA).
  const BlockConfig& keys = c.block;
  out << "  gains: a_SA " << gain_text(keys.a_SA) << ", b_SA " << gain_text(keys.b_SA) << ", a_FF"
      << (s.layout == BlockLayout::parallel ? " (a_comb) " : " ") << gain_text(keys.a_FF) << ", b_FF "
      << gain_text(keys.b_FF) << "   (* trainable; a fixed 0 = branch not computed)\n";
  const AttentionSpec& a = s.attention;
  out << "  attention: A_h = softmax(Q_h K_h^T / sqrt(d_k) + M), causal; ";
  switch (a.kind) {
    case AttentionKind::softmax: out << "A'_h = A_h\n"; break;
    case AttentionKind::shaped: out << "A'_h = alpha_h I + beta_h A_h - gamma_h C (Eq. 5), alpha = beta = gamma = 1 at init\n"; break;
    case AttentionKind::skipinit: out << "A'_h = alpha_h I + beta_h A_h (Eq. 4), alpha = 1, beta = 0 at init\n"; break;
  }
  out << "  queries: " << (a.zero_init_queries ? "W^Q = 0, b^Q = 0 at init (A = C)" : "N(0, init_std^2)") << "\n";
  const MatrixKind first_value = first.attention.value;
  out << "  W^V: " << matrix_text(a.value);
  if (first_value != a.value) out << " (block 0: " << matrix_text(first_value) << ")";
  out << ";  W^P: " << matrix_text(a.proj);
  if (a.value == MatrixKind::trained || a.proj == MatrixKind::trained || first_value == MatrixKind::trained)
    out << ";  trained W init " << to_string(a.value_proj_init);
  out << "\n  MLP: d -> " << s.mlp.ratio << "d -> d, " << to_string(s.mlp.activation) << ", no biases\n";
  return out.str();
}

int64_t matmul_parameter_count(const Gpt& model) {
  int64_t n = 0;
  for (const Parameter& p : model.parameters().all())
    if (p.group == ParamGroup::matrix || p.name == "tok_emb.weight") n += p.value.numel();
  return n;
}

double forward_flops_per_token(const Gpt& model, int seq_len) {
  const ModelConfig& c = model.config();
  return 2.0 * double(matmul_parameter_count(model)) + 4.0 * c.n_layer * double(seq_len) * c.d_model;
}

std::string describe_model(const Gpt& model, int seq_len, bool list_every_parameter) {
  const ModelConfig& c = model.config();
  std::ostringstream out;
  out << "model: preset " << c.preset << ", " << c.n_layer << " layers, d " << c.d_model << ", " << c.n_head
      << " heads (d_k " << c.d_model / c.n_head << "), vocab " << c.vocab_size << ", " << c.max_seq_len
      << " positions, tied head, final LayerNorm, dtype " << dtype_name(model.dtype()) << "\n";
  out << "  " << official_configuration_line(c) << "\n";
  out << describe_block_equations(c);
  std::map<std::string, int64_t> per_group;
  char line[256];
  if (list_every_parameter) out << "\nparameters:\n";
  for (const Parameter& p : model.parameters().all()) {
    per_group[to_string(p.group)] += p.value.numel();
    if (list_every_parameter) {
      std::snprintf(line, sizeof line, "  %-32s %-14s %12lld  %s%s\n", p.name.c_str(), p.value.shape().str().c_str(),
                    static_cast<long long>(p.value.numel()), to_string(p.group),
                    weight_decay_applies(p.group) ? "" : "  (no decay)");
      out << line;
    }
  }
  out << "\ntotals:\n";
  for (const auto& [group, n] : per_group) {
    std::snprintf(line, sizeof line, "  %-10s %14lld\n", group.c_str(), static_cast<long long>(n));
    out << line;
  }
  const int64_t total = model.parameters().count();
  std::snprintf(line, sizeof line, "  %-10s %14lld  (%.1fM)\n", "all", static_cast<long long>(total), total / 1e6);
  out << line;
  const double fwd = forward_flops_per_token(model, seq_len);
  std::snprintf(line, sizeof line,
                "\nFLOPs per token at T = %d: forward %.3g, training %.3g  (2 N_mm + 4 L T d; x3 for training; "
                "N_mm = %lld)\n",
                seq_len, fwd, 3 * fwd, static_cast<long long>(matmul_parameter_count(model)));
  out << line;
  return out.str();
}

}  // namespace bf
