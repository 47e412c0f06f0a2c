// The parameters a model config describes (names, shapes, groups), computed without building the model:
// what a checkpoint's tensor table is checked against, and what memory estimates count, before any
// memory is taken. It mirrors the constructors of Gpt, Block, Attention and the layers; a test builds
// every preset and checks that the two agree name for name and shape for shape.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/parameters.h"
#include "nn/spec.h"

namespace bf {

struct ParameterShape {
  std::string name;
  std::vector<int64_t> shape;
  ParamGroup group;
};

// In the model's creation order (Gpt::parameters().all()). `config` must be valid (validate()).
std::vector<ParameterShape> parameter_table(const ModelConfig& config);

// The number of scalars of a table, or -1 when it does not fit in 63 bits.
int64_t parameter_count(const std::vector<ParameterShape>& table);

}  // namespace bf
