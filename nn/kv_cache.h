// The keys and values of the positions a model has already read, per block, so that the next position
// costs attention against them (O(T d) per layer) instead of a full forward of the whole context
// (O(T^2 d + T d^2)): what autoregressive sampling needs. Inference only (no autograd record).
//
// Every block kind reads the cache the same way: norms, the MLP, the gains and the value/projection maps
// act on each position alone, so only attention looks at other positions. For new query row i (0-based
// absolute position) attention needs keys and values 0..i and nothing else:
//   softmax  (A):                    A_i V
//   skipinit (alpha I + beta A):      alpha v_i + beta A_i V
//   shaped   (alpha I + beta A - gamma C, Eq. 5), C_i = (1/(i+1), ..., 1/(i+1), 0, ...):
//                                    alpha v_i + beta A_i V - gamma mean(v_0 .. v_i)
// cached_attention() builds exactly row i of A' (the same kernels as the full forward) and multiplies it
// by the cached V, so a cached forward equals the uncached one to rounding.
#pragma once
#include <vector>

#include "core/tensor.h"
#include "nn/spec.h"

namespace bf {

// One block's cache: keys and values [B, H, capacity, dk], rows 0 .. length-1 filled.
struct AttentionCache {
  Tensor keys, values;
  int64_t length = 0;
};

class KvCache {
 public:
  // Room for config.max_seq_len positions (the learned positions end there) of `batch` sequences.
  KvCache(const ModelConfig& config, int64_t batch, DType dtype = DType::f32, Device device = Device::cpu);
  int64_t length() const { return layers_.front().length; }  // positions read so far = the next position
  int64_t capacity() const { return capacity_; }
  int64_t batch() const { return batch_; }
  size_t layers() const { return layers_.size(); }
  AttentionCache& layer(size_t i) { return layers_.at(i); }
  void clear();  // forget every position (the storage is kept)

 private:
  std::vector<AttentionCache> layers_;
  int64_t capacity_ = 0, batch_ = 0;
};

// Appends k, v [B, H, n, dk] (the new positions' keys and values) to `cache`. bf::Error past capacity.
void append_to_cache(AttentionCache& cache, const Tensor& k, const Tensor& v);

// Appends k, v, then returns A'_i V [B, H, n, dk] for the n new query rows q [B, H, n, dk] at positions
// L .. L+n-1 (L = cache.length before the call), each against keys and values 0 .. i. `kind` picks A'
// as above; alpha, beta [H] (skipinit, shaped) and gamma [H] (shaped) are the attention's gains.
Tensor cached_attention(AttentionCache& cache, const Tensor& q, const Tensor& k, const Tensor& v, AttentionKind kind,
                        const Tensor& alpha, const Tensor& beta, const Tensor& gamma);

}  // namespace bf
