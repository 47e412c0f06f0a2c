// The models the step benchmarks time (bench_train_step, bench_op_profile): tiny, small and medium CPU sizes
// plus the paper's headline model, a preset at that size (byte vocabulary), and one fixed random batch.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/rng.h"
#include "core/tensor.h"
#include "nn/spec.h"

namespace bf::bench {

struct Size {
  const char* name;
  int layers, d, heads, t, batch;
};
inline constexpr Size kSizes[] = {{"tiny", 2, 64, 2, 64, 8},
                                  {"small", 6, 256, 4, 128, 16},
                                  {"medium", 8, 512, 8, 256, 8},
                                  {"paper", 18, 768, 12, 128, 32}};
inline constexpr int kCpuSizes = 3;  // "all" means the first three; paper is asked for by name

inline const Size* find_size(const std::string& name) {
  for (const Size& s : kSizes)
    if (name == s.name) return &s;
  return nullptr;
}

inline ModelConfig model_config(const Size& size, const std::string& preset) {
  ModelConfig config = preset_model(preset);
  config.n_layer = size.layers, config.d_model = size.d, config.n_head = size.heads;
  config.vocab_size = 256, config.max_seq_len = size.t;
  return config;
}

// Tokens and next-token targets [batch, t], cut from batch random windows of t + 1 bytes (seed 1).
inline std::pair<Tensor, Tensor> random_batch(const Size& size, Device device) {
  Rng rng(1);
  std::vector<int32_t> ids(int64_t(size.batch) * (size.t + 1));
  for (auto& id : ids) id = static_cast<int32_t>(rng.below(256));
  std::vector<int32_t> in, out;
  for (int b = 0; b < size.batch; ++b)
    for (int i = 0; i < size.t; ++i) {
      in.push_back(ids[b * (size.t + 1) + i]);
      out.push_back(ids[b * (size.t + 1) + i + 1]);
    }
  return {Tensor::from_vector(in, Shape{size.batch, size.t}, device),
          Tensor::from_vector(out, Shape{size.batch, size.t}, device)};
}

}  // namespace bf::bench
