// The strict reading of a checkpoint (train/checkpoint.h): metadata fields parsed exactly, and the tensor
// table checked against the config in the metadata, all before any model is built, so that a file whose
// metadata asks for a model of terabytes, or whose tensors do not match it, is refused at once and
// cheaply. Every message starts with the file's path and names the field or tensor at fault.
#pragma once
#include <string>

#include "core/rng.h"
#include "train/config.h"
#include "io/safetensors.h"
#include "io/token_file.h"

namespace bf {

// Metadata "step": decimal digits only (no sign, fraction, exponent or spaces), fitting in int64.
int64_t parse_checkpoint_step(const std::string& text, const std::string& path);

// Metadata "sampler_state": exactly 4 unsigned 64-bit decimal integers separated by single spaces, not all
// zero (the all-zero state is the one xoshiro256** never reaches and never leaves).
Rng::State parse_sampler_state(const std::string& text, const std::string& path);

// Every parameter `config` describes is present with its shape and a floating-point dtype; every "optim.*"
// tensor is optimiser state that config.optim keeps for one of those parameters, with its shape and a
// floating-point dtype. (Other tensors are checked against the built model by load_checkpoint, which
// names the model it was loaded into.)
void check_tensor_table(const SafetensorsContents& contents, const Config& config, const std::string& path);

// Every parameter value is finite: a NaN or Inf weight means the run diverged, and evaluating or sampling
// from it gives nan or garbage. bf::Error naming the first such parameter and element.
void check_finite_parameters(const SafetensorsContents& contents, const std::string& path);

// What identifies a token file's content in a checkpoint's metadata ("val_data"):
// "200 tokens, FNV-1a 0123456789abcdef" (FNV-1a-64 over the tokens as stored).
std::string token_file_fingerprint(const TokenFile& file);

}  // namespace bf
