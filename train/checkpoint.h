// A training checkpoint: one safetensors file holding the parameters (under their model names), the
// optimiser state ("optim.*"), and in __metadata__ the resolved config (JSON), the step, the batch
// sampler's generator state, "dtype" (f32 or f64, the model.dtype every parameter is stored in), the
// bareformer_version and bareformer_commit that wrote it, and val_data, what identifies the run's val.bin
// (token_file_fingerprint). Written atomically; opens in any safetensors reader.
#pragma once
#include <string>

#include "core/rng.h"
#include "nn/gpt.h"
#include "train/config.h"
#include "train/optimizer.h"

namespace bf {

constexpr const char* kCheckpointFormat = "bareformer-checkpoint-1";

struct CheckpointInfo {
  Config config;     // as resolved when the run was started
  int64_t step = 0;  // optimiser steps completed
  Rng::State sampler_state{};
  std::string val_data;  // token_file_fingerprint of the run's val.bin ("" in older checkpoints)
};

void save_checkpoint(const std::string& path, const Config& config, const Gpt& model, const Optimizer* optimizer,
                     int64_t step, const Rng::State& sampler_state, const std::string& val_data = "");

// Reads the metadata (the config a model must be built from) and checks the tensor table against it, and
// every parameter for NaN or Inf (train/checkpoint_validation.h), before any model is built. bf::Error for
// a file that is not a bareformer checkpoint, naming what is missing or wrong. The file is read whole, and
// refused when it is larger than the memory limit (train/memory_estimate.h).
CheckpointInfo read_checkpoint_info(const std::string& path);

// Loads parameters (and the optimiser state when `optimizer` is given) into an existing model built from
// the same model config. A missing tensor, one with another shape, or a model of another dtype than the
// checkpoint's (no conversion) is a bf::Error naming it.
CheckpointInfo load_checkpoint(const std::string& path, Gpt& model, Optimizer* optimizer);

}  // namespace bf
