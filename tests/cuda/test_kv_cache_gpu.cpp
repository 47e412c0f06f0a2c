// The KV cache on the GPU (nn/kv_cache.cpp calls the kernel table of the tensors' device): for every
// preset, logits read one position at a time through the cache equal the uncached forward on the GPU
// (f32 to 1e-6, f64 to 1e-12, relative to the logits' largest magnitude), as tests/nn/test_kv_cache.cpp
// holds the CPU.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/tape.h"
#include "nn/gpt.h"
#include "nn/kv_cache.h"
#include "nn/model_fixtures.h"

TEST_CASE("kv cache on the GPU: cached logits equal the full forward for every preset") {
  bf::NoGradGuard no_grad;
  for (bf::DType dtype : {bf::DType::f32, bf::DType::f64}) {
    for (const std::string& preset : bf::preset_names()) {
      INFO("preset ", preset, " ", bf::dtype_name(dtype));
      bf::ModelConfig config = bf::preset_model(preset);
      config.n_layer = 3, config.d_model = 32, config.n_head = 4, config.vocab_size = 64, config.max_seq_len = 16;
      bf::Gpt model(config, 5, dtype, bf::Device::cuda);
      bf::test::randomize_parameters(model, 6);
      bf::Rng rng(7);
      std::vector<int32_t> ids(16);
      for (auto& id : ids) id = static_cast<int32_t>(rng.below(64));
      const std::vector<double> full =
          model.forward(bf::Tensor::from_vector(ids, bf::Shape{1, 16}, bf::Device::cuda)).to_f64_vector();
      bf::KvCache cache(config, 1, dtype, bf::Device::cuda);
      double scale = 1, worst = 0;
      for (double v : full) scale = std::max(scale, std::fabs(v));
      for (int64_t i = 0; i < 16; ++i) {
        const std::vector<double> row =
            model.forward(bf::Tensor::from_vector(std::vector<int32_t>{ids[i]}, bf::Shape{1, 1}, bf::Device::cuda), cache)
                .to_f64_vector();
        for (int64_t v = 0; v < 64; ++v) worst = std::max(worst, std::fabs(row[v] - full[i * 64 + v]));
      }
      CHECK(worst / scale <= (dtype == bf::DType::f32 ? 1e-6 : 1e-12));
    }
  }
}
