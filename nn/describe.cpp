#include "nn/describe.h"

#include <cstdio>
#include <map>
#include <sstream>

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

bool present(const Gain& g) { return g.trainable || g.init != 0; }

// "a X + b F(...)" with absent terms left out and gains of a fixed 1 written as nothing.
std::string term(const Gain& g, const std::string& what) {
  if (!present(g)) return "";
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
  const BlockSpec& s = c.block;
  std::ostringstream out;
  const std::string n1 = norm_text(s.norm1, "X"), n1_first = norm_text(s.first_norm1, "X");
  if (s.parallel) {
    out << "  Parallel block (Eq. 7):\n"
        << "    X_out = "
        << join_terms({term(s.a_FF, "X"), term(s.b_SA, "MHA(" + n1 + ")"), term(s.b_FF, "MLP(" + n1 + ")")}) << "\n";
    if (s.first_norm1 != s.norm1) out << "    (block 0 uses " << n1_first << " in place of " << n1 << ")\n";
  } else if (s.norm_position == NormPosition::post) {
    out << "  Post-LN block (the authors' norm_position: post; norms before the skips):\n"
        << "    Xn    = " << n1 << "\n"
        << "    Xh    = " << join_terms({term(s.a_SA, "Xn"), term(s.b_SA, "MHA(Xn)")}) << "\n"
        << "    Xm    = " << norm_text(s.norm2, "Xh") << "\n"
        << "    X_out = " << join_terms({term(s.a_FF, "Xm"), term(s.b_FF, "MLP(Xm)")}) << "\n";
    if (s.first_norm1 != s.norm1) out << "    (block 0 uses " << n1_first << " in place of " << n1 << ")\n";
  } else if (s.norm_position == NormPosition::post_textbook) {
    out << "  Post-LN block (textbook; norms after the sums):\n"
        << "    Xh    = " << norm_text(s.norm1, join_terms({term(s.a_SA, "X"), term(s.b_SA, "MHA(X)")})) << "\n"
        << "    X_out = " << norm_text(s.norm2, join_terms({term(s.a_FF, "Xh"), term(s.b_FF, "MLP(Xh)")})) << "\n";
    if (s.first_norm1 != s.norm1)
      out << "    (block 0 uses " << norm_text(s.first_norm1, "...") << " in place of " << norm_text(s.norm1, "...") << ")\n";
  } else {
    out << "  Sequential block (Eq. 1):\n"
        << "    Xh    = " << join_terms({term(s.a_SA, "X"), term(s.b_SA, "MHA(" + n1 + ")")}) << "\n"
        << "    X_out = " << join_terms({term(s.a_FF, "Xh"), term(s.b_FF, "MLP(" + norm_text(s.norm2, "Xh") + ")")}) << "\n";
    if (s.first_norm1 != s.norm1) out << "    (block 0 uses " << n1_first << " in place of " << n1 << ")\n";
  }
  out << "  gains: a_SA " << gain_text(s.a_SA) << ", b_SA " << gain_text(s.b_SA) << ", a_FF" << (s.parallel ? " (a_comb) " : " ")
      << gain_text(s.a_FF) << ", b_FF " << gain_text(s.b_FF) << "   (* trainable; a fixed 0 = branch not computed)\n";
  out << "  attention: A_h = softmax(Q_h K_h^T / sqrt(d_k) + M), causal; ";
  switch (s.attention) {
    case AttentionKind::softmax: out << "A'_h = A_h\n"; break;
    case AttentionKind::shaped: out << "A'_h = alpha_h I + beta_h A_h - gamma_h C (Eq. 5), alpha = beta = gamma = 1 at init\n"; break;
    case AttentionKind::skipinit: out << "A'_h = alpha_h I + beta_h A_h (Eq. 4), alpha = 1, beta = 0 at init\n"; break;
  }
  out << "  queries: " << (s.zero_init_queries ? "W^Q = 0, b^Q = 0 at init (A = C)" : "N(0, init_std^2)") << "\n";
  out << "  W^V: " << matrix_text(s.value);
  if (s.first_value != s.value) out << " (block 0: " << matrix_text(s.first_value) << ")";
  out << ";  W^P: " << matrix_text(s.proj);
  if (s.value == MatrixKind::trained || s.proj == MatrixKind::trained || s.first_value == MatrixKind::trained)
    out << ";  trained W init " << to_string(s.value_proj_init);
  out << "\n  MLP: d -> " << c.mlp_ratio << "d -> d, " << to_string(c.activation) << ", no biases\n";
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
