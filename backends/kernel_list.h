// The kernel list, written once. Every entry is X(name, (parameters)) with its formula beside it; the
// conventions they share (what overwrites, what accumulates, what may alias) are in backends/kernels.h.
// The entries are grouped in families, one file per family in each backend (backends/cpu/<family>.cpp,
// backends/cuda/<family>.cu or .cpp), named like the op file that calls them (autograd/ops/<family>.cpp).
// From this list come: the Kernels<T> members (kernels.h), each backend's family fill functions and their
// declarations, both backends' table assembly and the null-entry test. Adding a kernel to a family is one
// line here plus its implementation, named like its entry, in each backend's family file; adding a family
// is one line in BF_KERNEL_FAMILIES plus its files.
#pragma once

// BF_KERNEL_FAMILIES(F, arg) calls F(family, arg) for each family every backend fills.
#define BF_KERNEL_FAMILIES(F, arg) \
  F(matmul, arg)                   \
  F(elementwise, arg)              \
  F(activations, arg)              \
  F(reduce, arg)                   \
  F(softmax, arg)                  \
  F(norms, arg)                    \
  F(embedding, arg)                \
  F(attention_mix, arg)            \
  F(heads, arg)                    \
  F(optimizer, arg)
// Optional families: a backend may leave their entries null, and the ops that call them then run the
// unfused ops instead. The CPU fills them; the CUDA backend does not.
#define BF_OPTIONAL_KERNEL_FAMILIES(F, arg) F(attention_probs, arg)

// BF_KERNELS(X): every entry of every family, X(name, (parameters)), in table order.
#define BF_KERNELS(X) BF_KERNEL_FAMILIES(BF_KERNELS_OF_FAMILY, X) BF_OPTIONAL_KERNEL_FAMILIES(BF_KERNELS_OF_FAMILY, X)
#define BF_KERNELS_OF_FAMILY(family, X) BF_KERNELS_##family(X)

// ---- matmul: matrix products (OpenBLAS or oneDNN on the CPU, cuBLAS on the GPU) ----
#define BF_KERNELS_matmul(X)                                                                                         \
  /* C[m,n] = alpha * op(A) op(B) + beta * C, op(A) = A [m,k] or A^T when trans_a (A stored [k,m]);               */ \
  /* op(B) = B [k,n] or B^T when trans_b (B stored [n,k]).                                                        */ \
  X(gemm, (bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b, T beta,     \
           T* c))                                                                                                    \
  /* The same for `batch` independent, contiguous products (A_i at a + i*m*k, B_i at b + i*k*n, C_i at            */ \
  /* c + i*m*n): the attention heads [B*H] as one call.                                                           */ \
  X(gemm_batched, (int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,  \
                   const T* b, T beta, T* c))

// ---- elementwise over n elements ----
#define BF_KERNELS_elementwise(X)                                                        \
  X(add, (int64_t n, const T* a, const T* b, T* out))         /* out = a + b */          \
  X(sub, (int64_t n, const T* a, const T* b, T* out))         /* out = a - b */          \
  X(mul, (int64_t n, const T* a, const T* b, T* out))         /* out = a * b */          \
  X(scale, (int64_t n, T alpha, const T* x, T* out))          /* out = alpha * x */      \
  X(axpy, (int64_t n, T alpha, const T* x, T* y_acc))         /* y += alpha * x */       \
  X(mul_acc, (int64_t n, const T* a, const T* b, T* out_acc)) /* out += a * b */         \
  /* out = g[0] * x with g a one-element device buffer (a trainable scalar gain) */      \
  X(scale_by, (int64_t n, const T* g, const T* x, T* out))                               \
  X(scale_by_acc, (int64_t n, const T* g, const T* x, T* out_acc)) /* out += g[0] * x */ \
  /* out[0] += sum_i a_i * b_i (the gradient of a scalar gain; deterministic order) */   \
  X(dot_acc, (int64_t n, const T* a, const T* b, T* out_acc))                            \
  X(fill, (int64_t n, T value, T* out)) /* out = value */

// ---- activations ----
#define BF_KERNELS_activations(X)                                                                                       \
  X(relu, (int64_t n, const T* x, T* y))                            /* y = max(x, 0) */                                 \
  X(relu_backward, (int64_t n, const T* x, const T* dy, T* dx_acc)) /* dx += dy * 1[x > 0] */                           \
  X(leaky_relu, (int64_t n, T slope, const T* x, T* y))             /* y = x > 0 ? x : slope x */                       \
  X(leaky_relu_backward, (int64_t n, T slope, const T* x, const T* dy, T* dx_acc)) /* dx += dy * (x > 0 ? 1 : slope) */ \
  X(gelu, (int64_t n, const T* x, T* y)) /* y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the tanh form */         \
  X(gelu_backward, (int64_t n, const T* x, const T* dy, T* dx_acc)) /* dx += dy * gelu'(x) */

// ---- reduce: the bias add and its gradient, sums over an axis and their broadcast ----
#define BF_KERNELS_reduce(X)                                                                              \
  X(add_bias, (int64_t rows, int64_t cols, const T* x, const T* bias, T* y)) /* y[r,c] = x[r,c] + b[c] */ \
  X(sum_rows_acc, (int64_t rows, int64_t cols, const T* x, T* out_acc))      /* out[c] += sum_r x[r,c] */ \
  /* Tensor viewed as [outer, len, inner]: out[o,i] = sum_l x[o,l,i] */                                   \
  X(sum_axis, (int64_t outer, int64_t len, int64_t inner, const T* x, T* out))                            \
  /* dx[o,l,i] += scale * dy[o,i]  (the backward of sum and mean over an axis) */                         \
  X(broadcast_axis_acc, (int64_t outer, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc))

// ---- softmax and cross-entropy ----
#define BF_KERNELS_softmax(X)                                                                                        \
  /* y = softmax over the last axis. causal: the input is [..., T, T] (cols = T) and entry (i, j) with j > i      */ \
  /* is masked to probability 0 (row i is the row index modulo T).                                                */ \
  X(softmax, (int64_t rows, int64_t cols, bool causal, const T* x, T* y))                                            \
  /* dx += y * (dy - sum_j dy_j y_j) */                                                                              \
  X(softmax_backward, (int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc))                              \
  /* Fused log-softmax + negative log-likelihood. row_lse[r] = log sum_j exp(x[r,j]);                             */ \
  /* loss[0] = mean over rows whose target != ignore_index of (row_lse[r] - x[r, target[r]]) (0 if none).         */ \
  X(cross_entropy, (int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,       \
                    T* row_lse, T* loss))                                                                            \
  /* dlogits[r,j] += dloss[0] / n_valid * (softmax(x)[r,j] - 1[j == target[r]]), 0 for ignored rows.              */ \
  X(cross_entropy_backward, (int64_t rows, int64_t cols, const T* logits, const int32_t* targets,                    \
                             int32_t ignore_index, const T* row_lse, const T* dloss, T* dlogits_acc))

// ---- norms (the forward saves per-row statistics for the backward; a null gradient is not wanted) ----
#define BF_KERNELS_norms(X)                                                                                          \
  /* LayerNorm: xhat = (x - mean) * rstd, rstd = 1/sqrt(var + eps), y = xhat * w + b                              */ \
  X(layer_norm, (int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd))     \
  /* g = dy w:  dx += rstd (g - mean(g) - xhat mean(g xhat));  dw += sum_r dy xhat;  db += sum_r dy               */ \
  X(layer_norm_backward, (int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd,          \
                          const T* dy, T* dx_acc, T* dw_acc, T* db_acc))                                             \
  /* RMSNorm (the paper's form): rms = sqrt(mean(x^2)), y = x / (rms + eps) * w                                   */ \
  X(rms_norm, (int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms))                             \
  /* g = dy w, s = 1/(rms + eps):  dx += s g - s^2 x mean(g x) / rms  (0 when rms = 0);  dw += sum_r dy x s       */ \
  X(rms_norm_backward, (int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy,        \
                        T* dx_acc, T* dw_acc))

// ---- embedding ----
#define BF_KERNELS_embedding(X)                                                          \
  /* out[i, :] = table[ids[i], :]   (ids already checked to lie in [0, vocab)) */        \
  X(embedding, (int64_t n_ids, int64_t dim, const int32_t* ids, const T* table, T* out)) \
  /* dtable[ids[i], :] += dout[i, :]  (deterministic: rows accumulate in index order) */ \
  X(embedding_backward, (int64_t n_ids, int64_t dim, const int32_t* ids, const T* dout, T* dtable_acc))

// ---- attention_mix: shaped attention (Eq. 4 and Eq. 5 of the paper) ----
#define BF_KERNELS_attention_mix(X)                                                                                  \
  /* A is [batch, heads, t, t]; alpha, beta, gamma are [heads]; C is [t, t]. gamma and c may both be null         */ \
  /* (skipinit, Eq. 4).  out[b,h,i,j] = alpha_h 1[i == j] + beta_h A[b,h,i,j] - gamma_h C[i,j]                    */ \
  X(attention_mix, (int64_t batch, int64_t heads, int64_t t, const T* a, const T* alpha, const T* beta,              \
                    const T* gamma, const T* c, T* out))                                                             \
  /* dA += beta_h dOut;  dalpha_h += sum_{b,i} dOut[b,h,i,i];  dbeta_h += sum_{b,i,j} dOut A;                     */ \
  /* dgamma_h += -sum_{b,i,j} dOut C. Any gradient pointer may be null (not wanted).                              */ \
  X(attention_mix_backward, (int64_t batch, int64_t heads, int64_t t, const T* a, const T* beta, const T* c,         \
                             const T* dout, T* da_acc, T* dalpha_acc, T* dbeta_acc, T* dgamma_acc))

// ---- heads: permutations between [B,T,H,dk] and [B,H,T,dk] ----
#define BF_KERNELS_heads(X)                                                                                           \
  /* [B,T,H,dk] -> [B,H,T,dk] (split) and back (merge); `accumulate` adds into dst instead of overwriting,         */ \
  /* which is how each serves as the other's backward.                                                            */  \
  X(split_heads, (int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool accumulate))                \
  X(merge_heads, (int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool accumulate))

// ---- optimizer (fused: one pass over each parameter) ----
#define BF_KERNELS_optimizer(X)                                                                                      \
  /* out[0] += sum_i x_i^2, accumulated in double in an order fixed by n alone (the global gradient norm).        */ \
  X(sum_squares_acc, (int64_t n, const T* x, double* out_acc))                                                       \
  /* AdamW, PyTorch's formulation (decoupled decay first, then the Adam step with bias corrections):              */ \
  /*   p -= lr wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;                                            */ \
  /*   p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc_k = 1 - b_k^t.  g is first scaled by grad_scale.      */ \
  X(adamw_update, (int64_t n, T* p, const T* g, T* m, T* v, T grad_scale, T lr, T beta1, T beta2, T eps,             \
                   T weight_decay, T bias_correction1, T bias_correction2))                                          \
  /* SGD with momentum and decoupled decay: p -= lr wd p;  buf = mu buf + g;  p -= lr buf.                        */ \
  X(sgd_update, (int64_t n, T* p, const T* g, T* buf, T grad_scale, T lr, T momentum, T weight_decay))

// ---- attention_probs: the attention probabilities, fused (an optional family) ----
#define BF_KERNELS_attention_probs(X)                                                                                \
  /* x is [batch, heads, t, t] (the scores Q K^T). p = causal softmax of s x (row i sees j <= i);                 */ \
  /* out[b,h,i,j] = alpha_h 1[i == j] + beta_h p[b,h,i,j] - gamma_h C[i,j]. alpha and beta null: no mix, out      */ \
  /* is p and `out` may be null (only p is written); gamma and c null: no centring (Eq. 4).                       */ \
  X(causal_attention_probs, (int64_t batch, int64_t heads, int64_t t, T s, const T* x, const T* alpha,               \
                             const T* beta, const T* gamma, const T* c, T* p, T* out))                               \
  /* With dp = beta_h dOut (dOut itself without the mix):  dx += s p (dp - sum_j dp_j p_j)  (per row);            */ \
  /* dalpha_h += sum_{b,i} dOut[b,h,i,i];  dbeta_h += sum dOut p;  dgamma_h += -sum dOut C. Any gradient          */ \
  /* pointer may be null (not wanted); beta null means no mix.                                                    */ \
  X(causal_attention_probs_backward, (int64_t batch, int64_t heads, int64_t t, T s, const T* p, const T* beta,       \
                                      const T* c, const T* dout, T* dx_acc, T* dalpha_acc, T* dbeta_acc,             \
                                      T* dgamma_acc))

// ---- what the list expands into ----
// One member of Kernels<T>: a pointer to the kernel.
#define BF_KERNEL_MEMBER(name, params) void(*name) params;
// Declares a backend's fill function for one family: fill_<family>_kernels(Kernels<T>&) sets its entries.
#define BF_DECLARE_FAMILY_FILL(family, T) \
  template <class T>                      \
  void fill_##family##_kernels(Kernels<T>& k);
// Calls one family's fill function in `backend` (a namespace) on the table k.
#define BF_CALL_FAMILY_FILL(family, backend) backend::fill_##family##_kernels(k);
// Points one entry at the backend's implementation of the same name (a template over T in the family
// file's namespace). A signature that differs from the list's is a compile error here.
#define BF_SET_ENTRY(name, params) k.name = name<T>;
// Defines and instantiates (float, double) a family's fill function in namespace bf::<backend>: every
// entry of the family set to the implementation of the same name. One line at the end of each family file.
#define BF_DEFINE_FAMILY_FILL(backend, family)  \
  namespace bf::backend {                       \
  template <class T>                            \
  void fill_##family##_kernels(Kernels<T>& k) { \
    BF_KERNELS_##family(BF_SET_ENTRY)           \
  }                                             \
  }                                             \
  BF_INSTANTIATE_FAMILY_FILL(backend, family)
// Instantiates a family's fill function for both floating types (for a family file that writes its own).
#define BF_INSTANTIATE_FAMILY_FILL(backend, family)                           \
  template void bf::backend::fill_##family##_kernels<float>(Kernels<float>&); \
  template void bf::backend::fill_##family##_kernels<double>(Kernels<double>&);
