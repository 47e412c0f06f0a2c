// The recorded tape made visible: a table (one line per op) and a Graphviz graph. Used by `bareformer trace`.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "autograd/tape.h"

namespace bf {

// Leaf tensors are shown by name when `names` has them (parameters), else as "input".
using TensorNames = std::map<const TensorImpl*, std::string>;

// index, op, scope, input shapes, output shape, FLOPs, bytes kept for the backward (the output, which
// the tape holds, plus what the op saved); then the backward order and totals per block.
std::string format_tape_table(const std::vector<TapeEntry>& entries, const TensorNames& names);
std::string format_tape_dot(const std::vector<TapeEntry>& entries, const TensorNames& names, const std::string& title);

}  // namespace bf
