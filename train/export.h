// `bareformer export`: a checkpoint's weights alone, for other programs. One safetensors file holding
// every model parameter under its model name (PyTorch-style dotted names, Linear weights [out, in] as
// nn.Linear stores them; tests/oracle/reference.py's GPT has the same names), with no optimiser state,
// in f32 or rounded to f16 / bf16, and in __metadata__: format "bareformer-weights-1", the run's config
// (JSON, as in the checkpoint), the step it was saved at, and the bareformer version and commit that
// exported it. The head is tied to tok_emb.weight, so it has no tensor of its own.
#pragma once
#include <cstdint>
#include <string>

namespace bf {

constexpr const char* kWeightsFormat = "bareformer-weights-1";

enum class WeightsDType { f32, f16, bf16 };
WeightsDType weights_dtype_from_name(const std::string& name);  // "f32" | "f16" | "bf16", else bf::Error

// IEEE binary16 and bfloat16 bit patterns of an f32 value, rounded to nearest, ties to even. Values past
// the format's largest finite value round to infinity; NaN stays a (quiet) NaN with the same sign.
uint16_t f32_to_f16_bits(float value);
uint16_t f32_to_bf16_bits(float value);

struct ExportReport {
  int64_t tensors = 0, parameters = 0, bytes = 0;
};

// Reads the checkpoint at `checkpoint` (every check of `eval` applies) and writes `out` atomically. A
// finite weight that would round to infinity (|x| >= 65520 in f16) is a bf::Error naming it, not a
// silent infinity. `out` must not be the checkpoint itself.
ExportReport export_weights(const std::string& checkpoint, const std::string& out, WeightsDType dtype);

}  // namespace bf
