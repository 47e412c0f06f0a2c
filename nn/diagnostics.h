// Signal-propagation diagnostics (the quantities the paper's analysis relies on), per block:
//   activation RMS           sqrt(mean x^2) of the block's output
//   token cosine (rho)       mean cosine similarity between distinct positions of a sequence,
//                            rho = (|sum_i u_i|^2 - T) / (T (T - 1)) with u_i = x_i / |x_i|, averaged over
//                            the batch: near 1 = rank collapse (every token looks the same)
//   attention entropy        mean over (b, h, i) of -sum_j A_ij ln A_ij, A = softmax(Q K^T / sqrt(d_k) + M)
//   gradient norm            L2 norm of the gradients of blocks.{i}.* (after a backward)
//   shaped-attention gains   alpha, beta, gamma per head; trainable block gains; beta_V / alpha_V of a
//                            reparameterised value matrix (the paper's Fig. 4)
#pragma once
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "nn/probe.h"

namespace bf {

struct LayerDiagnostics {
  std::string name;  // "embed" or "blocks.3"
  double activation_rms = 0;
  double token_cosine = 0;
  double attention_entropy = -1;  // -1: the block computes no attention
  double grad_norm = -1;          // -1: no gradients yet
  std::vector<double> alpha, beta, gamma;
  std::map<std::string, double> gains;  // trainable a_SA / b_SA / a_FF / b_FF
  double value_beta_over_alpha = NAN;   // NaN (null in metrics.jsonl): W_V is not reparameterised; any sign
};

// Reads the probe of a forward pass (probe_from_tape, nn/probe.h) and the parameters' gradients when a
// backward has run.
std::vector<LayerDiagnostics> compute_diagnostics(const Gpt& model, const ForwardProbe& probe);

double mean_token_cosine(const Tensor& x);     // x [B, T, d]
double activation_rms(const Tensor& x);        // any shape
double mean_attention_entropy(const Tensor& a);  // a [B, H, T, T], rows summing to 1

std::string format_diagnostics(const std::vector<LayerDiagnostics>& layers);

// One line for `bareformer diagnose`: whether the last block's tokens have collapsed onto one direction
// (token cosine >= kCollapsedCosine), the failure of naive skipless blocks (0.994 at 6 layers, 1.000 at 18,
// against 0.86 for Pre-LN and 0.07 for SAS at 18: docs/experiments.md).
constexpr double kCollapsedCosine = 0.98;
std::string collapse_verdict(const std::vector<LayerDiagnostics>& layers);

}  // namespace bf
