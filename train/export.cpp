#include "train/export.h"

#include <bit>
#include <cmath>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/provenance.h"

namespace bf {
namespace {

const char* safetensors_name(WeightsDType dtype) {
  switch (dtype) {
    case WeightsDType::f32: return "F32";
    case WeightsDType::f16: return "F16";
    case WeightsDType::bf16: return "BF16";
  }
  return "?";
}

// Drops the low `shift` bits of `m`, rounding to nearest with ties to even.
uint32_t round_shift_even(uint32_t m, int shift) {
  const uint32_t kept = m >> shift, rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
  return kept + (rest > half || (rest == half && (kept & 1u)) ? 1u : 0u);
}

void append_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

}  // namespace

WeightsDType weights_dtype_from_name(const std::string& name) {
  if (name == "f32") return WeightsDType::f32;
  if (name == "f16") return WeightsDType::f16;
  if (name == "bf16") return WeightsDType::bf16;
  fail("export: --dtype \"", name, "\" is not one of f32, f16, bf16");
}

// f32 = (-1)^s 1.m 2^(e-127). f16 = (-1)^s 1.m' 2^(e'-15) for e' in [1, 30], and m' 2^-24 (subnormal)
// below. Re-biased, e' = e - 112; a subnormal's m' is (1.m) 2^23 shifted right by 14 - e' bits.
uint16_t f32_to_f16_bits(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  const uint32_t sign = (x >> 16) & 0x8000u, exponent = (x >> 23) & 0xffu, mantissa = x & 0x7fffffu;
  if (exponent == 0xffu) return static_cast<uint16_t>(sign | 0x7c00u | (mantissa ? 0x200u : 0u));  // inf, NaN
  const int e = int(exponent) - 112;
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00u);  // beyond 65504 even before rounding
  if (e <= 0) {
    if (e < -10) return static_cast<uint16_t>(sign);  // below half the smallest subnormal 2^-24: zero
    // A carry out of the subnormal range gives 0x400, the smallest normal: the encoding stays right.
    return static_cast<uint16_t>(sign | round_shift_even(mantissa | 0x800000u, 14 - e));
  }
  // Rounding may carry into the exponent (and from e' = 30 to 0x7c00, infinity), as it should.
  return static_cast<uint16_t>(sign | round_shift_even((uint32_t(e) << 23) | mantissa, 13));
}

// bfloat16 is the top half of an f32: round the low 16 bits away, ties to even.
uint16_t f32_to_bf16_bits(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // NaN: keep it quiet
  return static_cast<uint16_t>(round_shift_even(x, 16));  // an overflow carries into 0x7f80, infinity
}

ExportReport export_weights(const std::string& checkpoint, const std::string& out, WeightsDType dtype) {
  std::error_code ec;
  BF_CHECK(!std::filesystem::equivalent(checkpoint, out, ec), "export: ", out,
           " is the checkpoint itself; choose another output file");
  CheckpointInfo info = read_checkpoint_info(checkpoint);
  Gpt model(info.config.model, info.config.run.seed, DType::f32, Device::cpu);
  load_checkpoint(checkpoint, model, nullptr);

  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  header["__metadata__"] = {{"format", kWeightsFormat},
                            {"config", to_json(info.config).dump()},
                            {"step", std::to_string(info.step)},
                            {"bareformer_version", build_version()},
                            {"bareformer_commit", build_commit()}};
  std::string data;
  ExportReport report;
  for (const Parameter& p : model.parameters().all()) {
    const std::vector<float> values = p.value.to_vector<float>();
    const uint64_t begin = data.size();
    for (float v : values) {
      if (dtype == WeightsDType::f32) {
        append_le(data, std::bit_cast<uint32_t>(v), 4);
        continue;
      }
      const uint16_t bits = dtype == WeightsDType::f16 ? f32_to_f16_bits(v) : f32_to_bf16_bits(v);
      const uint16_t infinity = dtype == WeightsDType::f16 ? 0x7c00 : 0x7f80;
      BF_CHECK((bits & 0x7fff) != infinity || !std::isfinite(v), "export: parameter \"", p.name, "\" holds ", v,
               ", which rounds to infinity in ", dtype == WeightsDType::f16 ? "f16 (largest finite 65504)" : "bf16",
               "; use --dtype bf16 or f32");
      append_le(data, bits, 2);
    }
    std::vector<int64_t> shape;
    for (int axis = 0; axis < p.value.ndim(); ++axis) shape.push_back(p.value.size(axis));
    header[p.name] = {{"dtype", safetensors_name(dtype)},
                      {"shape", shape},
                      {"data_offsets", nlohmann::ordered_json::array({begin, uint64_t(data.size())})}};
    ++report.tensors;
    report.parameters += p.value.numel();
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // 8-byte aligned data, as the Python writer does
  std::string bytes;
  append_le(bytes, text.size(), 8);
  bytes += text;
  bytes += data;
  write_file_atomically(out, bytes);
  report.bytes = static_cast<int64_t>(bytes.size());
  return report;
}

}  // namespace bf
