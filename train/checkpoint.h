// A training checkpoint: one safetensors file holding the parameters (under their model names), the
// optimiser state ("optim.*"), and in __metadata__ the resolved config (JSON), the step, the batch
// sampler's generator state, "dtype" (f32 or f64, the model.dtype every parameter is stored in), and the
// bareformer_version and bareformer_commit that wrote it. Written atomically; opens in any safetensors reader.
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
};

void save_checkpoint(const std::string& path, const Config& config, const Gpt& model, const Optimizer* optimizer,
                     int64_t step, const Rng::State& sampler_state);

// Reads the metadata only (the config a model must be built from). bf::Error for a file that is not a
// bareformer checkpoint, naming what is missing.
CheckpointInfo read_checkpoint_info(const std::string& path);

// Loads parameters (and the optimiser state when `optimizer` is given) into an existing model built from
// the same model config. A missing tensor, one with another shape, or a model of another dtype than the
// checkpoint's (no conversion) is a bf::Error naming it.
CheckpointInfo load_checkpoint(const std::string& path, Gpt& model, Optimizer* optimizer);

}  // namespace bf
