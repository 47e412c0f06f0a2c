#include "nn/diagnostics.h"

#include <cmath>
#include <cstdio>
#include <sstream>

namespace bf {

double activation_rms(const Tensor& x) {
  double sum = 0;
  for (double v : x.to_f64_vector()) sum += v * v;
  return std::sqrt(sum / double(std::max<int64_t>(x.numel(), 1)));
}

double mean_token_cosine(const Tensor& x) {
  BF_CHECK(x.ndim() == 3, "mean_token_cosine: expected [B, T, d], got ", x.shape());
  const int64_t batch = x.size(0), t = x.size(1), d = x.size(2);
  if (t < 2) return 1.0;
  const std::vector<double> v = x.to_f64_vector();
  double total = 0;
  for (int64_t b = 0; b < batch; ++b) {
    // sum_{i != j} <u_i, u_j> = |sum_i u_i|^2 - sum_i |u_i|^2, and |u_i| = 1 (0 for a zero vector)
    std::vector<double> sum_u(d, 0.0);
    double self = 0;
    for (int64_t i = 0; i < t; ++i) {
      const double* xi = v.data() + (b * t + i) * d;
      double norm = 0;
      for (int64_t c = 0; c < d; ++c) norm += xi[c] * xi[c];
      norm = std::sqrt(norm);
      if (norm == 0) continue;
      for (int64_t c = 0; c < d; ++c) sum_u[c] += xi[c] / norm;
      self += 1;
    }
    double square = 0;
    for (double s : sum_u) square += s * s;
    total += (square - self) / double(t * (t - 1));
  }
  return total / double(batch);
}

double mean_attention_entropy(const Tensor& a) {
  BF_CHECK(a.ndim() == 4 && a.size(2) == a.size(3), "mean_attention_entropy: expected [B, H, T, T], got ", a.shape());
  const std::vector<double> v = a.to_f64_vector();
  const int64_t rows = a.numel() / a.size(3), t = a.size(3);
  double total = 0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < t; ++j) {
      const double p = v[r * t + j];
      if (p > 0) total -= p * std::log(p);  // 0 log 0 = 0 (masked entries)
    }
  return total / double(rows);
}

std::vector<LayerDiagnostics> compute_diagnostics(const Gpt& model, const ForwardProbe& probe) {
  auto values = [](const Tensor& t) { return t.defined() ? t.to_f64_vector() : std::vector<double>{}; };
  std::vector<LayerDiagnostics> out;
  LayerDiagnostics embed;
  embed.name = "embed";
  embed.activation_rms = activation_rms(probe.embedding_output);
  embed.token_cosine = mean_token_cosine(probe.embedding_output);
  out.push_back(embed);
  for (size_t i = 0; i < probe.block_outputs.size(); ++i) {
    const Block& block = model.blocks().at(i);
    LayerDiagnostics layer;
    layer.name = block.name();
    layer.activation_rms = activation_rms(probe.block_outputs[i]);
    layer.token_cosine = mean_token_cosine(probe.block_outputs[i]);
    if (const Tensor a = probe.attention.at(i).probabilities(); a.defined()) layer.attention_entropy = mean_attention_entropy(a);
    // Every parameter of the block is named under its name (the ParameterSet's creation order).
    const std::string prefix = block.name() + ".";
    double grad_sq = 0;
    bool any_grad = false;
    for (const Parameter& p : model.parameters().all()) {
      if (p.name.rfind(prefix, 0) != 0 || !p.value.grad().defined()) continue;
      any_grad = true;
      for (double g : p.value.grad().to_f64_vector()) grad_sq += g * g;
    }
    if (any_grad) layer.grad_norm = std::sqrt(grad_sq);
    const Attention& attn = block.attention();
    layer.alpha = values(attn.alpha());
    layer.beta = values(attn.beta());
    layer.gamma = values(attn.gamma());
    for (const auto& [name, gain] : block.gains())
      if (gain->parameter().defined()) layer.gains[name] = gain->parameter().to_f64_vector()[0];
    std::vector<double> va = values(attn.value().alpha()), vb = values(attn.value().beta());
    if (!va.empty() && va[0] != 0) layer.value_beta_over_alpha = vb[0] / va[0];
    out.push_back(layer);
  }
  return out;
}

std::string format_diagnostics(const std::vector<LayerDiagnostics>& layers) {
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %10s %12s %12s %11s  %s\n", "layer", "act rms", "token cos", "attn entropy",
                "grad norm", "gains");
  out << line;
  auto list = [](const std::vector<double>& v) {
    std::string s;
    char buf[32];
    for (double x : v) {
      std::snprintf(buf, sizeof buf, "%s%.3g", s.empty() ? "" : ",", x);
      s += buf;
    }
    return s;
  };
  for (const LayerDiagnostics& l : layers) {
    std::string gains;
    if (!l.alpha.empty()) gains += "alpha " + list(l.alpha) + " beta " + list(l.beta) + " ";
    if (!l.gamma.empty()) gains += "gamma " + list(l.gamma) + " ";
    for (const auto& [name, value] : l.gains) gains += name + " " + list({value}) + " ";
    if (!std::isnan(l.value_beta_over_alpha)) gains += "beta_V/alpha_V " + list({l.value_beta_over_alpha});
    char entropy[32] = "-", grad[32] = "-";
    if (l.attention_entropy >= 0) std::snprintf(entropy, sizeof entropy, "%.4f", l.attention_entropy);
    if (l.grad_norm >= 0) std::snprintf(grad, sizeof grad, "%.4g", l.grad_norm);
    std::snprintf(line, sizeof line, "%-10s %10.4f %12.4f %12s %11s  %s\n", l.name.c_str(), l.activation_rms,
                  l.token_cosine, entropy, grad, gains.c_str());
    out << line;
  }
  return out.str();
}

std::string collapse_verdict(const std::vector<LayerDiagnostics>& layers) {
  if (layers.size() < 2) return "";
  const LayerDiagnostics &first = layers.front(), &last = layers.back();
  char line[320];
  if (last.token_cosine >= kCollapsedCosine)
    std::snprintf(line, sizeof line,
                  "rank collapse: the token cosine goes from %.3f (%s) to %.3f (%s): every position carries nearly "
                  "the same representation, so attention has little to tell apart; expect this configuration to "
                  "train slowly or not at all (as naive skipless does).",
                  first.token_cosine, first.name.c_str(), last.token_cosine, last.name.c_str());
  else
    std::snprintf(line, sizeof line, "no rank collapse: the token cosine goes from %.3f (%s) to %.3f (%s), below %.2f.",
                  first.token_cosine, first.name.c_str(), last.token_cosine, last.name.c_str(), kCollapsedCosine);
  return line;
}

}  // namespace bf
