// The walkthrough re-derives the first block of a tiny SAS-P model with the ops themselves, reading the
// parameters by name, so every printed number comes from one visible line of math. What it prints is what
// docs/walkthrough.md quotes.
#include "experiments/walkthrough.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include "autograd/ops.h"
#include "nn/attention.h"
#include "nn/gpt.h"
#include "train/optimizer.h"

namespace bf {
namespace {

// Prints a 2-D slice [rows, cols] of a CPU tensor with 4 decimals, one row per line.
std::string matrix_text(const Tensor& t, int64_t rows, int64_t cols, int64_t offset = 0) {
  std::vector<double> v = t.to_f64_vector();
  std::ostringstream out;
  char cell[32];
  for (int64_t r = 0; r < rows; ++r) {
    out << "  [";
    for (int64_t c = 0; c < cols; ++c) {
      std::snprintf(cell, sizeof cell, "%8.4f", v[offset + r * cols + c] + 0.0);  // + 0.0: no "-0.0000"
      out << cell << (c + 1 < cols ? "," : "");
    }
    out << " ]\n";
  }
  return out.str();
}

std::string value_list(const Tensor& t) {
  std::ostringstream out;
  char cell[32];
  for (double v : t.to_f64_vector()) {
    std::snprintf(cell, sizeof cell, " %.6f", v + 0.0);
    out << cell;
  }
  return out.str();
}

std::string number(double v, const char* format = "%.6f") {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v + 0.0);
  return buf;
}

std::string first_entries(const Tensor& t, int n) {
  std::vector<double> v = t.to_f64_vector();
  v.resize(n);
  return value_list(Tensor::from_vector(v, Shape{n}));
}

double max_abs_difference(const Tensor& a, const Tensor& b) {
  std::vector<double> x = a.to_f64_vector(), y = b.to_f64_vector();
  BF_CHECK(x.size() == y.size(), "walkthrough: comparing tensors of different sizes");
  double m = 0;
  for (size_t i = 0; i < x.size(); ++i) m = std::max(m, std::abs(x[i] - y[i]));
  return m;
}

}  // namespace

std::vector<WalkthroughSection> walkthrough_report() {
  ModelConfig config = preset_model("sas_p");
  config.n_layer = 2, config.d_model = 8, config.n_head = 2, config.vocab_size = 11, config.max_seq_len = 4;
  Gpt model(config, /*seed=*/2024, DType::f64);
  const ParameterSet& P = model.parameters();
  auto param = [&](const std::string& name) { return P.get(name).value; };
  const Tensor tokens = Tensor::from_vector<int32_t>({3, 1, 4, 1}, Shape{1, 4});
  const Tensor targets = Tensor::from_vector<int32_t>({1, 4, 1, 5}, Shape{1, 4});
  std::vector<WalkthroughSection> sections;
  auto section = [&](const std::string& name, const std::string& text) { sections.push_back({name, text}); };

  section("model", "preset sas_p: 2 layers, d 8, 2 heads (d_k 4), vocab 11, T 4, f64, seed 2024\nparameters: " +
                       std::to_string(P.count()) + "\ntokens  [3, 1, 4, 1]\ntargets [1, 4, 1, 5]\n");

  // Shaped attention of block 0: A = softmax(Q K^T / sqrt(d_k) + M), A' = alpha I + beta A - gamma C.
  const Tensor centring = causal_centring_matrix(4, DType::f64, Device::cpu);
  const Tensor positions = Tensor::from_vector<int32_t>({0, 1, 2, 3}, Shape{1, 4});
  auto block0_normalised_input = [&] {
    return rms_norm(add(embedding(param("tok_emb.weight"), tokens), embedding(param("pos_emb.weight"), positions)),
                    param("blocks.0.norm1.weight"), config.norm_eps);
  };
  auto block0_attention = [&](const Tensor& xn, Tensor* a_out) {
    Tensor q = split_heads(linear(xn, param("blocks.0.attn.q.weight"), param("blocks.0.attn.q.bias")), 2);
    Tensor k = split_heads(linear(xn, param("blocks.0.attn.k.weight"), param("blocks.0.attn.k.bias")), 2);
    Tensor a = softmax(scale(matmul(q, k, false, true), 1.0 / 2.0), true);  // 1/sqrt(d_k) = 1/2
    if (a_out) *a_out = a;
    return attention_mix(a, param("blocks.0.attn.alpha"), param("blocks.0.attn.beta"), param("blocks.0.attn.gamma"),
                         centring);
  };

  {
  NoGradGuard no_grad;  // the re-derivation below only reads values
  // Embedding: x_t = E[token_t] + P[t]
  Tensor tok = embedding(param("tok_emb.weight"), tokens);
  Tensor pos = embedding(param("pos_emb.weight"), positions);
  Tensor x = add(tok, pos);
  section("embedding", "E[3] (token 3's row of tok_emb):\n" + matrix_text(tok, 1, 8) +
                           "x = E[tokens] + P[0..3], [4, 8]:\n" + matrix_text(x, 4, 8));

  // Block 0, norm1 = RMSNorm: xn = x / (rms(x) + eps) * w   (w = 1 at init)
  Tensor xn = rms_norm(x, param("blocks.0.norm1.weight"), config.norm_eps);
  double square_sum = 0;
  for (int ch = 0; ch < 8; ++ch) square_sum += xn.at({0, 0, ch}) * xn.at({0, 0, ch});
  section("rmsnorm", "xn = RMSNorm(x), row 0 (its rms is now " + number(std::sqrt(square_sum / 8)) + "):\n" +
                         matrix_text(xn, 1, 8));

  // Attention: Q = xn W_Q^T + b_Q = 0 at init, so every score is 0 and A = softmax(0 + M) = C.
  Tensor a;
  Tensor shaped = block0_attention(xn, &a);
  section("shaped-attention-at-init",
          "A (head 0) = softmax(Q K^T / sqrt(d_k) + M) with Q = 0, which is C = softmax(M):\n" + matrix_text(a, 4, 4) +
              "A' = alpha I + beta A - gamma C with alpha = beta = gamma = 1:\n" + matrix_text(shaped, 4, 4));

  // Values: block 0 keeps W_V = alpha_V I + beta_V dW with dW = 0, so V = xn; then A' V = V.
  Tensor v = add(scale_by(xn, param("blocks.0.attn.v.alpha")),
                 scale_by(linear(xn, param("blocks.0.attn.v.delta")), param("blocks.0.attn.v.beta")));
  Tensor attn_out = merge_heads(matmul(shaped, split_heads(v, 2)));
  section("attention-is-identity", "max |MHA(xn) - xn| at init = " + number(max_abs_difference(attn_out, xn), "%.3g") + "\n");

  // Eq. 7 with a_comb = 0: X_out = b_SA MHA(xn) + b_FF MLP(xn), b_SA = 1, b_FF = 0.1 (both trainable)
  Tensor mlp_out = linear(relu(linear(xn, param("blocks.0.mlp.fc.weight"))), param("blocks.0.mlp.proj.weight"));
  Tensor block_out = add(scale_by(attn_out, param("blocks.0.gain.b_SA")), scale_by(mlp_out, param("blocks.0.gain.b_FF")));
  section("block-output", "X_out = 1 * MHA(xn) + 0.1 * MLP(xn), row 0:\n" + matrix_text(block_out, 1, 8));

  Tensor logits = model.forward(tokens);
  Tensor loss = model.loss(tokens, targets);
  section("loss", "logits [1, 4, 11], row 0:\n" + matrix_text(logits, 1, 11) + "loss = " + number(loss.item()) +
                      "   (ln 11 = " + number(std::log(11.0)) + ": a near-uniform guess at init)\n");
  }

  // Backward and a few AdamW steps (lr 0.05 so the shaped attention visibly moves away from I).
  OptimConfig optim;
  optim.lr = 0.05;
  Optimizer opt(optim, model.parameters());
  std::string gradients, trajectory;
  for (int step = 0; step < 5; ++step) {
    model.parameters().zero_grad();
    Tensor l = model.loss(tokens, targets);
    backward(l);
    if (step == 0) {
      gradients = "dL/d alpha (block 0, per head):" + value_list(param("blocks.0.attn.alpha").grad()) +
                  "\ndL/d beta  (block 0, per head):" + value_list(param("blocks.0.attn.beta").grad()) +
                  "\ndL/d gamma (block 0, per head):" + value_list(param("blocks.0.attn.gamma").grad()) +
                  "\ndL/d b_FF  (block 0):" + value_list(param("blocks.0.gain.b_FF").grad()) +
                  "\ndL/d W_Q[0, 0:4] (block 0):" + first_entries(param("blocks.0.attn.q.weight").grad(), 4) +
                  "\nglobal gradient norm: " + number(gradient_norm(model.parameters()).norm) + "\n";
    }
    const double norm = gradient_norm(model.parameters()).norm;
    opt.step(optim.lr, norm > 1.0 ? 1.0 / (norm + 1e-6) : 1.0);
    trajectory += "step " + std::to_string(step + 1) + ": loss " + number(l.item()) + "\n";
  }
  section("gradients", gradients);
  section("training", trajectory + "loss after 5 steps: " + number(model.loss(tokens, targets).item()) + "\n");

  // The shaped attention of block 0, head 0, after the updates: W_Q moved off 0, so A is no longer C.
  NoGradGuard no_grad;
  Tensor shaped2 = block0_attention(block0_normalised_input(), nullptr);
  section("shaped-attention-after-training",
          "alpha:" + value_list(param("blocks.0.attn.alpha")) + "\nbeta: " + value_list(param("blocks.0.attn.beta")) +
              "\ngamma:" + value_list(param("blocks.0.attn.gamma")) + "\nA' (head 0) after 5 steps:\n" + matrix_text(shaped2, 4, 4));
  return sections;
}

std::string walkthrough_text() {
  std::string out;
  for (const auto& s : walkthrough_report()) out += "## " + s.name + "\n" + s.text + "\n";
  return out;
}

}  // namespace bf
