// Every differentiable op. Each is defined in autograd/ops/<family>.cpp with its forward kernel call and
// its backward rule side by side, under its registry line (BF_OP, autograd/op_registry.h) that states its
// forward and backward as math; docs/ops.md and docs/math.md have the derivations. Shapes are [B, T, d]-style and row-major; a wrong shape throws bf::Error naming the op and
// every shape involved.
#pragma once
#include <cstdint>

#include "autograd/tape.h"
#include "core/tensor.h"

namespace bf {

// ---- matrix products (ops/matmul.cpp) ----
// C = op(A) op(B) with op = transpose when the flag is set. 2-D: A [m,k], B [k,n]. 3-D/4-D: matching
// leading (batch) dims, one product per batch entry (the attention heads).
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);
// y = x W^T + b, x [..., in], W [out, in] (PyTorch layout), b [out] or undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- elementwise (ops/elementwise.cpp) ----
Tensor add(const Tensor& a, const Tensor& b);             // same shapes
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor scale(const Tensor& x, double alpha);              // alpha x, alpha a constant
Tensor scale_by(const Tensor& x, const Tensor& gain);     // g x, g a one-element tensor (a trainable gain)
Tensor add_bias(const Tensor& x, const Tensor& bias);     // x [..., n] + b [n]

// ---- activations (ops/activations.cpp) ----
Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double slope);
Tensor gelu(const Tensor& x);                             // tanh approximation

// ---- reductions and views (ops/reduce.cpp) ----
Tensor sum(const Tensor& x, int axis);                    // removes the axis
Tensor mean(const Tensor& x, int axis);
Tensor sum_all(const Tensor& x);                          // one-element result, shape []
Tensor reshape(const Tensor& x, const Shape& shape);      // shares storage; gradient reshaped back

// ---- softmax and loss (ops/softmax.cpp) ----
// Softmax over the last axis; causal: x is [..., T, T] and entries above the diagonal get probability 0.
Tensor softmax(const Tensor& x, bool causal = false);
// Mean over rows whose target != ignore_index of -log softmax(logits)[target]. logits [N, V], targets i32 [N].
Tensor cross_entropy(const Tensor& logits, const Tensor& targets, int32_t ignore_index = -1);

// ---- normalisation (ops/norms.cpp) ----
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps = 1e-5);
Tensor rms_norm(const Tensor& x, const Tensor& weight, double eps = 1e-5);  // x / (rms(x) + eps) * w

// ---- embedding and heads (ops/embedding.cpp, ops/heads.cpp) ----
Tensor embedding(const Tensor& table, const Tensor& ids);  // table [V, d], ids i32 [...] -> [..., d]
Tensor split_heads(const Tensor& x, int64_t heads);        // [B, T, H*dk] -> [B, H, T, dk]
Tensor merge_heads(const Tensor& x);                       // [B, H, T, dk] -> [B, T, H*dk]

// ---- shaped attention (ops/attention_mix.cpp) ----
// A' = alpha_h I + beta_h A - gamma_h C per head (paper Eq. 5). A [B, H, T, T]; alpha, beta, gamma [H];
// C [T, T] a constant (the centring matrix softmax(M)). Undefined gamma and C give Eq. 4 (skipinit).
Tensor attention_mix(const Tensor& a, const Tensor& alpha, const Tensor& beta, const Tensor& gamma = Tensor(),
                     const Tensor& centring = Tensor());

// ---- attention probabilities from the scores, fused (ops/attention_probs.cpp) ----
// A' = attention_mix(softmax(s * scores, causal), alpha, beta, gamma, C) in one op and one pass (the same
// values as those three ops). scores [B, H, T, T]. alpha and beta undefined: no mix, A' = A (softmax
// attention); gamma and C undefined: Eq. 4. A itself, for diagnostics, is the form without a mix.
Tensor causal_attention_probs(const Tensor& scores, double s, const Tensor& alpha = Tensor(),
                              const Tensor& beta = Tensor(), const Tensor& gamma = Tensor(),
                              const Tensor& centring = Tensor());

}  // namespace bf
