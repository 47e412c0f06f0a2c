// Human-readable account of a model: the block's equations as configured, every parameter, FLOPs.
#pragma once
#include <string>

#include "nn/gpt.h"

namespace bf {

// Matmul FLOPs per token, forward: 2 N_mm + 4 L T d, where N_mm counts every weight used in a matrix
// product (the tied head once) and 4 L T d is Q K^T and A' V over a full T x T attention. Training
// (forward + backward) is 3x that: 6 N_mm + 12 L T d per token.
double forward_flops_per_token(const Gpt& model, int seq_len);
int64_t matmul_parameter_count(const Gpt& model);

std::string describe_block_equations(const ModelConfig& config);
std::string describe_model(const Gpt& model, int seq_len, bool list_every_parameter = true);

}  // namespace bf
