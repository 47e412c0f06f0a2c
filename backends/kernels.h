// The one kernel list. Every backend (backends/cpu, backends/cuda) fills a Kernels<T> table for T = float
// and T = double, so an op calls kernels<T>(device).name(...) and any kernel can be run on both backends
// and compared entry by entry.
//
// Conventions, the same for every entry:
//  - pointers are raw device buffers, contiguous row-major; elementwise and row kernels (add ... fill,
//    activations, bias_add) may write in place (out == an input); no other aliasing is allowed;
//  - forward kernels OVERWRITE their outputs;
//  - backward kernels ACCUMULATE (+=) into gradient buffers named d*_acc, so a tensor used by several ops
//    gets the sum of its gradients without temporaries;
//  - "rows x cols" means the tensor viewed as [rows, cols] with cols the last axis.
#pragma once
#include <cstdint>

#include "core/device.h"

namespace bf {

template <class T>
struct Kernels {
  // ---- matrix products (OpenBLAS / cuBLAS) ----
  // C[m,n] = alpha * op(A) op(B) + beta * C, op(A) = A [m,k] or A^T when trans_a (A stored [k,m]);
  // op(B) = B [k,n] or B^T when trans_b (B stored [n,k]).
  void (*gemm)(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, const T* b,
               T beta, T* c);
  // The same for `batch` independent, contiguous products (A_i at a + i*m*k, B_i at b + i*k*n, C_i at
  // c + i*m*n): the attention heads [B*H] as one call.
  void (*gemm_batched)(int64_t batch, bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
                       const T* a, const T* b, T beta, T* c);

  // ---- elementwise over n elements ----
  void (*add)(int64_t n, const T* a, const T* b, T* out);          // out = a + b
  void (*sub)(int64_t n, const T* a, const T* b, T* out);          // out = a - b
  void (*mul)(int64_t n, const T* a, const T* b, T* out);          // out = a * b
  void (*scale)(int64_t n, T alpha, const T* x, T* out);           // out = alpha * x
  void (*axpy)(int64_t n, T alpha, const T* x, T* y_acc);          // y += alpha * x
  void (*mul_acc)(int64_t n, const T* a, const T* b, T* out_acc);  // out += a * b
  // out = g[0] * x with g a one-element device buffer (a trainable scalar gain)
  void (*scale_by)(int64_t n, const T* g, const T* x, T* out);
  void (*scale_by_acc)(int64_t n, const T* g, const T* x, T* out_acc);  // out += g[0] * x
  // out[0] += sum_i a_i * b_i (the gradient of a scalar gain; deterministic order)
  void (*dot_acc)(int64_t n, const T* a, const T* b, T* out_acc);
  void (*fill)(int64_t n, T value, T* out);

  // ---- activations ----
  void (*relu)(int64_t n, const T* x, T* y);                               // y = max(x, 0)
  void (*relu_backward)(int64_t n, const T* x, const T* dy, T* dx_acc);     // dx += dy * 1[x > 0]
  void (*leaky_relu)(int64_t n, T slope, const T* x, T* y);                // y = x > 0 ? x : slope x
  void (*leaky_relu_backward)(int64_t n, T slope, const T* x, const T* dy, T* dx_acc);
  void (*gelu)(int64_t n, const T* x, T* y);                               // tanh form
  void (*gelu_backward)(int64_t n, const T* x, const T* dy, T* dx_acc);

  // ---- rows ----
  void (*bias_add)(int64_t rows, int64_t cols, const T* x, const T* bias, T* y);  // y[r,c] = x[r,c] + b[c]
  void (*sum_rows_acc)(int64_t rows, int64_t cols, const T* x, T* out_acc);       // out[c] += sum_r x[r,c]
  // Tensor viewed as [outer, len, inner]: out[o,i] = sum_l x[o,l,i]
  void (*sum_axis)(int64_t outer, int64_t len, int64_t inner, const T* x, T* out);
  // dx[o,l,i] += scale * dy[o,i]  (the backward of sum and mean over an axis)
  void (*broadcast_axis_acc)(int64_t outer, int64_t len, int64_t inner, T scale, const T* dy, T* dx_acc);

  // ---- softmax and cross-entropy ----
  // y = softmax over the last axis. causal: the input is [..., T, T] (cols = T) and entry (i, j) with j > i
  // is masked to probability 0 (row i is the row index modulo T).
  void (*softmax)(int64_t rows, int64_t cols, bool causal, const T* x, T* y);
  // dx += y * (dy - sum_j dy_j y_j)
  void (*softmax_backward)(int64_t rows, int64_t cols, const T* y, const T* dy, T* dx_acc);
  // Fused log-softmax + negative log-likelihood. row_lse[r] = log sum_j exp(x[r,j]);
  // loss[0] = mean over rows whose target != ignore_index of (row_lse[r] - x[r, target[r]]) (0 if none).
  void (*cross_entropy)(int64_t rows, int64_t cols, const T* logits, const int32_t* targets, int32_t ignore_index,
                        T* row_lse, T* loss);
  // dlogits[r,j] += dloss[0] / n_valid * (softmax(x)[r,j] - 1[j == target[r]]), 0 for ignored rows.
  void (*cross_entropy_backward)(int64_t rows, int64_t cols, const T* logits, const int32_t* targets,
                                 int32_t ignore_index, const T* row_lse, const T* dloss, T* dlogits_acc);

  // ---- normalisation (forward saves per-row statistics for the backward) ----
  // LayerNorm: xhat = (x - mean) * rstd, rstd = 1/sqrt(var + eps), y = xhat * w + b
  void (*layernorm)(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* b, T* y, T* mean, T* rstd);
  void (*layernorm_backward)(int64_t rows, int64_t cols, const T* x, const T* w, const T* mean, const T* rstd,
                             const T* dy, T* dx_acc, T* dw_acc, T* db_acc);  // null = not wanted
  // RMSNorm (the paper's form): rms = sqrt(mean(x^2)), y = x / (rms + eps) * w
  void (*rmsnorm)(int64_t rows, int64_t cols, T eps, const T* x, const T* w, T* y, T* rms);
  void (*rmsnorm_backward)(int64_t rows, int64_t cols, T eps, const T* x, const T* w, const T* rms, const T* dy,
                           T* dx_acc, T* dw_acc);  // null = not wanted

  // ---- embedding ----
  // out[i, :] = table[ids[i], :]   (ids already checked to lie in [0, vocab))
  void (*embedding)(int64_t n_ids, int64_t dim, const int32_t* ids, const T* table, T* out);
  // dtable[ids[i], :] += dout[i, :]  (deterministic: rows accumulate in index order)
  void (*embedding_backward)(int64_t n_ids, int64_t dim, const int32_t* ids, const T* dout, T* dtable_acc);

  // ---- shaped attention (Eq. 4 and Eq. 5 of the paper) ----
  // A is [batch, heads, t, t]; alpha, beta, gamma are [heads]; C is [t, t]. gamma and c may both be null
  // (skipinit, Eq. 4).  out[b,h,i,j] = alpha_h 1[i == j] + beta_h A[b,h,i,j] - gamma_h C[i,j]
  void (*attention_mix)(int64_t batch, int64_t heads, int64_t t, const T* a, const T* alpha, const T* beta,
                        const T* gamma, const T* c, T* out);
  // dA += beta_h dOut;  dalpha_h += sum_{b,i} dOut[b,h,i,i];  dbeta_h += sum_{b,i,j} dOut A;
  // dgamma_h += -sum_{b,i,j} dOut C. Any gradient pointer may be null (not wanted).
  void (*attention_mix_backward)(int64_t batch, int64_t heads, int64_t t, const T* a, const T* beta, const T* c,
                                 const T* dout, T* da_acc, T* dalpha_acc, T* dbeta_acc, T* dgamma_acc);

  // ---- attention probabilities, fused (OPTIONAL: null on a backend without them, and the op then runs
  //      scale, softmax and attention_mix one after another; the CPU fills them) ----
  // x is [batch, heads, t, t] (the scores Q K^T). p = causal softmax of s x (row i sees j <= i);
  // out[b,h,i,j] = alpha_h 1[i == j] + beta_h p[b,h,i,j] - gamma_h C[i,j]. alpha and beta null: no mix, out
  // is p and `out` may be null (only p is written); gamma and c null: no centring (Eq. 4).
  void (*causal_attention_probs)(int64_t batch, int64_t heads, int64_t t, T s, const T* x, const T* alpha,
                                 const T* beta, const T* gamma, const T* c, T* p, T* out);
  // With dp = beta_h dOut (dOut itself without the mix):  dx += s p (dp - sum_j dp_j p_j)  (per row);
  // dalpha_h += sum_{b,i} dOut[b,h,i,i];  dbeta_h += sum dOut p;  dgamma_h += -sum dOut C. Any gradient
  // pointer may be null (not wanted); beta null means no mix.
  void (*causal_attention_probs_backward)(int64_t batch, int64_t heads, int64_t t, T s, const T* p, const T* beta,
                                          const T* c, const T* dout, T* dx_acc, T* dalpha_acc, T* dbeta_acc,
                                          T* dgamma_acc);

  // ---- optimiser (fused: one pass over each parameter) ----
  // out[0] += sum_i x_i^2, accumulated in double in an order fixed by n alone (the global gradient norm).
  void (*sum_squares_acc)(int64_t n, const T* x, double* out_acc);
  // AdamW, PyTorch's formulation (decoupled decay first, then the Adam step with bias corrections):
  //   p -= lr wd p;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
  //   p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps),  bc_k = 1 - b_k^t.  g is first scaled by grad_scale.
  void (*adamw_update)(int64_t n, T* p, const T* g, T* m, T* v, T grad_scale, T lr, T beta1, T beta2, T eps,
                       T weight_decay, T bias_correction1, T bias_correction2);
  // SGD with momentum and decoupled decay: p -= lr wd p;  buf = mu buf + g;  p -= lr buf.
  void (*sgd_update)(int64_t n, T* p, const T* g, T* buf, T grad_scale, T lr, T momentum, T weight_decay);

  // ---- head permutations ----
  // [B,T,H,dk] -> [B,H,T,dk] (split) and back (merge); `accumulate` adds into dst instead of overwriting,
  // which is how each serves as the other's backward.
  void (*split_heads)(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool accumulate);
  void (*merge_heads)(int64_t b, int64_t t, int64_t h, int64_t dk, const T* src, T* dst, bool accumulate);
};

template <class T>
const Kernels<T>& cpu_kernels();
template <class T>
const Kernels<T>& cuda_kernels();  // bf::Error when the CUDA backend is not built
template <class T>
const Kernels<T>& kernels(Device device) {
  return device == Device::cpu ? cpu_kernels<T>() : cuda_kernels<T>();
}

// Thread settings for the CPU backend: one OpenMP pool shared with OpenBLAS (its OpenMP build), and
// flush-to-zero / denormals-are-zero on every thread of it. Called once by the CLI and the tests.
void configure_cpu_threads(int threads);  // threads <= 0: all cores
int cpu_threads();

// The library behind the CPU backend's f32/f64 GEMMs ("openblas"), as the start event of a run records it.
const char* gemm_provider_name();

// Call first thing in main(). libgomp reads OMP_WAIT_POLICY once, when it loads (before main), and its
// default spins idle threads: on a machine shared with other work, every parallel region then waits
// for a descheduled spinner (a 2-layer model's step measured 1417 ms instead of 56 ms at load 4). When the
// variable is unset this sets it to PASSIVE and re-executes the program once; an explicit
// OMP_WAIT_POLICY=ACTIVE (best on an otherwise idle machine) is respected.
void prefer_passive_openmp_wait(char** argv);

}  // namespace bf
