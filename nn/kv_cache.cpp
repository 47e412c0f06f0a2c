#include "nn/kv_cache.h"

#include <cmath>

#include "backends/kernels.h"

namespace bf {

KvCache::KvCache(const ModelConfig& config, int64_t batch, DType dtype, Device device)
    : capacity_(config.max_seq_len), batch_(batch) {
  BF_CHECK(batch >= 1, "KvCache: batch ", batch, ", expected >= 1");
  const int64_t heads = config.n_head, dk = config.d_model / config.n_head;
  for (int i = 0; i < config.n_layer; ++i)
    layers_.push_back({Tensor::zeros({batch, heads, capacity_, dk}, dtype, device),
                       Tensor::zeros({batch, heads, capacity_, dk}, dtype, device), 0});
}

void KvCache::clear() {
  for (AttentionCache& layer : layers_) layer.length = 0;
}

namespace {

template <class T>
void append_typed(AttentionCache& cache, const Tensor& k, const Tensor& v) {
  const Kernels<T>& kern = kernels<T>(k.device());
  const int64_t bh = k.size(0) * k.size(1), n = k.size(2), dk = k.size(3), cap = cache.keys.size(2);
  // One contiguous run of n rows per (sequence, head); scale by 1 is an exact copy on either device.
  for (int64_t i = 0; i < bh; ++i) {
    kern.scale(n * dk, T(1), k.data<T>() + i * n * dk, cache.keys.data<T>() + (i * cap + cache.length) * dk);
    kern.scale(n * dk, T(1), v.data<T>() + i * n * dk, cache.values.data<T>() + (i * cap + cache.length) * dk);
  }
  cache.length += n;
}

// Row i of A' for every new row, then A'_i V, per (sequence, head). The kernels are the full forward's:
// scores = (q K^T) / sqrt(dk); A_i = softmax over keys 0..i; A'_i = beta A_i - gamma C_i + alpha e_i,
// each term rounded as attention_mix rounds it, with C_i = softmax of i+1 zeros as
// causal_centring_matrix computes it.
template <class T>
Tensor attend_typed(AttentionCache& cache, const Tensor& q, AttentionKind kind, const Tensor& alpha,
                    const Tensor& beta, const Tensor& gamma) {
  const Device device = q.device();
  const Kernels<T>& kern = kernels<T>(device);
  const int64_t heads = q.size(1), n = q.size(2), dk = q.size(3), cap = cache.keys.size(2);
  const int64_t total = cache.length, first = total - n;  // rows first .. total-1 are new
  Tensor out = Tensor::empty(q.shape(), q.dtype(), device);
  Tensor scores = Tensor::empty({n, total}, q.dtype(), device), probs = Tensor::empty({n, total}, q.dtype(), device);
  Tensor zeros = Tensor::zeros({total}, q.dtype(), device), centring = Tensor::empty({total}, q.dtype(), device);
  const T inv_sqrt_dk = T(1.0 / std::sqrt(double(dk)));
  for (int64_t b = 0; b < q.size(0); ++b)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t bh = b * heads + h;
      const T* keys = cache.keys.data<T>() + bh * cap * dk;
      const T* values = cache.values.data<T>() + bh * cap * dk;
      T* s = scores.data<T>();
      T* p = probs.data<T>();
      kern.gemm(false, true, n, total, dk, T(1), q.data<T>() + bh * n * dk, keys, T(0), s);
      kern.scale(n * total, inv_sqrt_dk, s, s);
      for (int64_t r = 0; r < n; ++r) {
        const int64_t visible = first + r + 1;  // row first+r sees keys 0 .. first+r
        T* row = p + r * total;
        kern.softmax(1, visible, false, s + r * total, row);
        if (visible < total) kern.fill(total - visible, T(0), row + visible);
        if (kind == AttentionKind::softmax) continue;
        kern.scale_by(visible, beta.data<T>() + h, row, row);
        if (kind == AttentionKind::shaped) {
          kern.softmax(1, visible, false, zeros.data<T>(), centring.data<T>());  // C_i: 1/(i+1) each
          kern.scale_by(visible, gamma.data<T>() + h, centring.data<T>(), centring.data<T>());
          kern.sub(visible, row, centring.data<T>(), row);
        }
        kern.add(1, row + visible - 1, alpha.data<T>() + h, row + visible - 1);  // + alpha on the diagonal
      }
      kern.gemm(false, false, n, dk, total, T(1), p, values, T(0), out.data<T>() + bh * n * dk);
    }
  return out;
}

}  // namespace

void append_to_cache(AttentionCache& cache, const Tensor& k, const Tensor& v) {
  BF_CHECK(k.ndim() == 4 && k.shape() == v.shape() && k.size(0) == cache.keys.size(0) &&
               k.size(1) == cache.keys.size(1) && k.size(3) == cache.keys.size(3),
           "KvCache: keys ", k.shape(), " and values ", v.shape(), " do not fit a cache of ", cache.keys.shape());
  BF_CHECK(cache.length + k.size(2) <= cache.keys.size(2), "KvCache: ", cache.length, " + ", k.size(2),
           " positions exceed its capacity of ", cache.keys.size(2), " (model.max_seq_len)");
  if (k.dtype() == DType::f32) append_typed<float>(cache, k, v);
  else append_typed<double>(cache, k, v);
}

Tensor cached_attention(AttentionCache& cache, const Tensor& q, const Tensor& k, const Tensor& v, AttentionKind kind,
                        const Tensor& alpha, const Tensor& beta, const Tensor& gamma) {
  append_to_cache(cache, k, v);
  return q.dtype() == DType::f32 ? attend_typed<float>(cache, q, kind, alpha, beta, gamma)
                                 : attend_typed<double>(cache, q, kind, alpha, beta, gamma);
}

}  // namespace bf
