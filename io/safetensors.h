// Safetensors checkpoints (https://github.com/huggingface/safetensors): an 8-byte little-endian u64
// header length N, N bytes of JSON header, then the raw little-endian tensor data. The header maps each
// tensor name to {"dtype", "shape", "data_offsets": [begin, end)} (offsets relative to the start of the
// data section) and holds string->string metadata under "__metadata__". Files written here open in any
// safetensors reader; files read here are checked so that a corrupt or hostile file is a bf::Error that
// names the file, the tensor and the byte offset at fault, never an out-of-bounds read.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace bf {

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

// Serialises tensors (f32 -> "F32", f64 -> "F64", i32 -> "I32"; any device, copied to CPU) in the given
// order, contiguous with no gaps, with `metadata` under "__metadata__" (omitted when empty). The header is
// padded with spaces to a multiple of 8 bytes so the data section starts 8-byte aligned.
std::string encode_safetensors(const std::vector<NamedTensor>& tensors,
                               const std::map<std::string, std::string>& metadata);
// encode_safetensors, written with write_file_atomically (a crash never leaves a half-written checkpoint).
void save_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors,
                      const std::map<std::string, std::string>& metadata);

struct SafetensorsContents {
  std::map<std::string, std::string> metadata;
  std::vector<NamedTensor> tensors;  // CPU tensors, in data-offset order
};

// Parses and validates a whole safetensors file held in memory; `source_name` (usually the path) names
// the file in error messages. Accepts F32, F64 and I32 tensors of at most 4 dimensions.
SafetensorsContents decode_safetensors(const std::string& bytes, const std::string& source_name);
SafetensorsContents load_safetensors(const std::string& path);

}  // namespace bf
