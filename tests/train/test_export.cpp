// `bareformer export` (train/export.h): the f16 / bf16 rounding against hand-computed bit patterns, the
// weights-only file, and the README's Python snippets run on an exported file (the plain-Python parser
// wherever python3 runs; the PyTorch module where torch imports), compared with bareformer's values and
// logits.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <limits>

#include <nlohmann/json.hpp>

#include "autograd/tape.h"
#include "nn/model_fixtures.h"
#include "scratch.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/export.h"
#include "io/safetensors.h"

namespace {

using bf::test::ScratchDir;

float from_bits(uint32_t bits) { return std::bit_cast<float>(bits); }

// binary16 -> value, from the format's definition (an independent decoder for the checks).
double half_value(uint16_t h) {
  const int sign = h >> 15, exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  const double magnitude = exponent == 0    ? std::ldexp(mantissa, -24)
                           : exponent == 31 ? (mantissa ? std::numeric_limits<double>::quiet_NaN()
                                                        : std::numeric_limits<double>::infinity())
                                            : std::ldexp(1024 + mantissa, exponent - 25);
  return sign ? -magnitude : magnitude;
}

bf::Config sas_p_config() {
  bf::Config c;
  c.model = bf::preset_model("sas_p");
  c.model.n_layer = 2, c.model.d_model = 16, c.model.n_head = 2, c.model.max_seq_len = 8, c.model.mlp_ratio = 2;
  c.data.seq_len = 8;
  return c;
}

// A checkpoint (with optimiser state) of a sas_p model whose parameters are all away from their
// initial values; returns the model.
bf::Gpt write_checkpoint(const std::string& path, const bf::Config& config) {
  bf::Gpt model(config.model, 1);
  bf::test::randomize_parameters(model, 4);
  bf::Optimizer optimizer(config.optim, model.parameters());
  bf::save_checkpoint(path, config, model, &optimizer, 12, bf::Rng(1).state());
  return model;
}

// The ```python block of README.md that contains `marker`.
std::string readme_python(const std::string& marker) {
  const std::string readme = bf::read_whole_file(std::string(BF_SOURCE_DIR) + "/README.md");
  for (size_t at = readme.find("```python\n"); at != std::string::npos; at = readme.find("```python\n", at + 1)) {
    const size_t begin = at + 10, end = readme.find("```", begin);
    const std::string block = readme.substr(begin, end - begin);
    if (block.find(marker) != std::string::npos) return block;
  }
  FAIL("README.md has no python block with ", marker);
  return "";
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) s.replace(pos, from.size(), to);
  return s;
}

bool runs(const std::string& command) { return std::system((command + " > /dev/null 2>&1").c_str()) == 0; }

}  // namespace

TEST_CASE("export: f16 rounding, hand-computed (nearest, ties to even, subnormals, overflow)") {
  CHECK(bf::f32_to_f16_bits(1.0f) == 0x3c00);
  CHECK(bf::f32_to_f16_bits(-2.0f) == 0xc000);
  CHECK(bf::f32_to_f16_bits(0.0f) == 0x0000);
  CHECK(bf::f32_to_f16_bits(-0.0f) == 0x8000);
  CHECK(bf::f32_to_f16_bits(0.1f) == 0x2e66);          // 0.0999755859375; the next, 0x2e67, is farther
  CHECK(bf::f32_to_f16_bits(1.0f / 3.0f) == 0x3555);   // 0.333251953125
  CHECK(bf::f32_to_f16_bits(65504.0f) == 0x7bff);      // the largest finite f16
  CHECK(bf::f32_to_f16_bits(65519.0f) == 0x7bff);      // below the midpoint 65520
  CHECK(bf::f32_to_f16_bits(65520.0f) == 0x7c00);      // the midpoint rounds to even: infinity
  CHECK(bf::f32_to_f16_bits(1e6f) == 0x7c00);
  // 1 + 2^-11 lies halfway between 0x3c00 and 0x3c01: even 0x3c00. 1 + 3 * 2^-11: between 0x3c01 and
  // 0x3c02: even 0x3c02. Just above the first midpoint: up.
  CHECK(bf::f32_to_f16_bits(1.0f + std::ldexp(1.0f, -11)) == 0x3c00);
  CHECK(bf::f32_to_f16_bits(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3c02);
  CHECK(bf::f32_to_f16_bits(from_bits(0x3f801001)) == 0x3c01);
  CHECK(bf::f32_to_f16_bits(std::ldexp(1.0f, -14)) == 0x0400);   // the smallest normal
  CHECK(bf::f32_to_f16_bits(std::ldexp(1.0f, -24)) == 0x0001);   // the smallest subnormal
  CHECK(bf::f32_to_f16_bits(std::ldexp(1.0f, -25)) == 0x0000);   // half of it: ties to even, zero
  CHECK(bf::f32_to_f16_bits(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(bf::f32_to_f16_bits(std::ldexp(3.0f, -25)) == 0x0002);   // 1.5 subnormal ulps: to even, 2
  CHECK(bf::f32_to_f16_bits(std::ldexp(1023.5f, -24)) == 0x0400); // rounds up out of the subnormals
  CHECK(bf::f32_to_f16_bits(std::ldexp(1.0f, -40)) == 0x0000);
  CHECK(bf::f32_to_f16_bits(-std::numeric_limits<float>::infinity()) == 0xfc00);
  const uint16_t nan = bf::f32_to_f16_bits(std::numeric_limits<float>::quiet_NaN());
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x3ff) != 0);
}

TEST_CASE("export: bf16 rounding, hand-computed") {
  CHECK(bf::f32_to_bf16_bits(1.0f) == 0x3f80);
  CHECK(bf::f32_to_bf16_bits(-0.0f) == 0x8000);
  CHECK(bf::f32_to_bf16_bits(0.1f) == 0x3dcd);                   // 0x3dcccccd: low half 0xcccd > 0x8000
  CHECK(bf::f32_to_bf16_bits(from_bits(0x3f808000)) == 0x3f80);  // a tie: even
  CHECK(bf::f32_to_bf16_bits(from_bits(0x3f818000)) == 0x3f82);  // a tie: even, upwards
  CHECK(bf::f32_to_bf16_bits(from_bits(0x3f808001)) == 0x3f81);
  CHECK(bf::f32_to_bf16_bits(std::numeric_limits<float>::max()) == 0x7f80);  // rounds to infinity
  const uint16_t nan = bf::f32_to_bf16_bits(from_bits(0x7f800001));         // a signalling NaN stays NaN
  CHECK((nan & 0x7f80) == 0x7f80);
  CHECK((nan & 0x7f) != 0);
}

TEST_CASE("export: the weights alone, under the model's names, with the config and provenance") {
  ScratchDir dir("export");
  const bf::Config config = sas_p_config();
  const bf::Gpt model = write_checkpoint(dir / "checkpoint.safetensors", config);
  const bf::ExportReport report = bf::export_weights(dir / "checkpoint.safetensors", dir / "w.safetensors",
                                                     bf::WeightsDType::f32);
  const bf::SafetensorsContents c = bf::load_safetensors(dir / "w.safetensors");
  CHECK(c.metadata.at("format") == bf::kWeightsFormat);
  CHECK(c.metadata.at("step") == "12");
  CHECK(c.metadata.count("bareformer_commit") == 1);
  CHECK(bf::to_json(bf::parse_config_text(c.metadata.at("config"), "metadata")) == bf::to_json(config));
  REQUIRE(c.tensors.size() == model.parameters().all().size());
  CHECK(report.tensors == int64_t(c.tensors.size()));
  CHECK(report.parameters == model.parameters().count());
  for (const bf::NamedTensor& t : c.tensors) {
    INFO(t.name);
    const bf::Parameter* p = model.parameters().find(t.name);
    REQUIRE(p != nullptr);  // no "optim.*"
    CHECK(t.tensor.to_vector<float>() == p->value.to_vector<float>());
  }
  const bf::SafetensorsContents checkpoint = bf::load_safetensors(dir / "checkpoint.safetensors");
  CHECK(checkpoint.tensors.size() > 2 * c.tensors.size());  // the checkpoint also holds AdamW's m and v

  CHECK_THROWS_WITH_AS(bf::export_weights(dir / "checkpoint.safetensors", dir / "checkpoint.safetensors",
                                          bf::WeightsDType::f16),
                       ("export: " + dir / "checkpoint.safetensors" + " is the checkpoint itself; choose another output file").c_str(),
                       bf::Error);
}

TEST_CASE("export: f16 that would overflow is an error naming the parameter") {
  ScratchDir dir("export_overflow");
  const bf::Config config = sas_p_config();
  bf::Gpt model(config.model, 1);
  bf::Tensor gain = model.parameters().get("blocks.1.gain.b_FF").value;
  gain.copy_from(bf::Tensor::full({1}, 70000.0));
  bf::save_checkpoint(dir / "checkpoint.safetensors", config, model, nullptr, 1, bf::Rng(1).state());
  CHECK_THROWS_WITH_AS(bf::export_weights(dir / "checkpoint.safetensors", dir / "w.safetensors", bf::WeightsDType::f16),
                       "export: parameter \"blocks.1.gain.b_FF\" holds 70000, which rounds to infinity in f16 "
                       "(largest finite 65504); use --dtype bf16 or f32",
                       bf::Error);
  CHECK_FALSE(std::filesystem::exists(dir / "w.safetensors"));
  bf::export_weights(dir / "checkpoint.safetensors", dir / "w.safetensors", bf::WeightsDType::bf16);  // fits
}

TEST_CASE("export: the README's Python parser reads every dtype; its PyTorch module gives bareformer's logits") {
  if (!runs("python3 -c 'import json, struct'")) {
    MESSAGE("skipped: no python3");
    return;
  }
  ScratchDir dir("export_python");
  const bf::Config config = sas_p_config();
  const bf::Gpt model = write_checkpoint(dir / "checkpoint.safetensors", config);
  const std::string parser = readme_python("def load_safetensors");
  for (const std::string dtype : {"f32", "f16", "bf16"}) {
    INFO("--dtype ", dtype);
    const std::string weights = dir / ("weights_" + dtype + ".safetensors");
    bf::export_weights(dir / "checkpoint.safetensors", weights, bf::weights_dtype_from_name(dtype));
    bf::write_file_atomically(dir / "parse.py", replace_all(parser, "runs/sas_p/weights.safetensors", weights) +
                                                    "json.dump({name: values for name, (shape, values) in tensors.items()},"
                                                    " open(\"" + dir / "parsed.json" + "\", \"w\"))\n");
    REQUIRE(runs("python3 " + dir / "parse.py"));
    const nlohmann::json parsed = nlohmann::json::parse(bf::read_whole_file(dir / "parsed.json"));
    REQUIRE(parsed.size() == model.parameters().all().size());
    for (const bf::Parameter& p : model.parameters().all()) {
      const std::vector<float> values = p.value.to_vector<float>();
      const std::vector<double> read = parsed.at(p.name).get<std::vector<double>>();
      REQUIRE(read.size() == values.size());
      for (size_t i = 0; i < values.size(); ++i) {
        const double expected = dtype == "f32"   ? double(values[i])
                                : dtype == "f16" ? half_value(bf::f32_to_f16_bits(values[i]))
                                                 : double(from_bits(uint32_t(bf::f32_to_bf16_bits(values[i])) << 16));
        if (read[i] != expected) FAIL(p.name, "[", i, "] read ", read[i], ", expected ", expected);
      }
    }
  }

  // The PyTorch module: Debian's /usr/bin/python3 has torch where the python3 on PATH may not.
  std::string torch_python;
  for (const std::string candidate : {"python3", "/usr/bin/python3"})
    if (torch_python.empty() && runs(candidate + " -c 'import torch'")) torch_python = candidate;
  if (torch_python.empty()) {
    MESSAGE("skipped the PyTorch part: no python3 with torch");
    return;
  }
  const std::string oracle_dir = std::string("\"") + BF_SOURCE_DIR + "/tests/oracle\"";
  const std::string module = replace_all(readme_python("from reference import GPT"), "\"tests/oracle\"", oracle_dir);
  bf::write_file_atomically(dir / "torch_logits.py",
                            replace_all(parser, "runs/sas_p/weights.safetensors", dir / "weights_f32.safetensors") +
                                module + "json.dump(logits.detach().double().flatten().tolist(), open(\"" +
                                dir / "logits.json" + "\", \"w\"))\n");
  REQUIRE(runs(torch_python + " " + dir / "torch_logits.py"));
  const std::vector<double> torch_logits =
      nlohmann::json::parse(bf::read_whole_file(dir / "logits.json")).get<std::vector<double>>();
  bf::NoGradGuard no_grad;
  const std::vector<double> ours =
      model.forward(bf::Tensor::from_vector(std::vector<int32_t>{100, 101, 102, 32}, bf::Shape{1, 4})).to_f64_vector();
  REQUIRE(torch_logits.size() == ours.size());
  double worst = 0;
  for (size_t i = 0; i < ours.size(); ++i) worst = std::max(worst, std::fabs(torch_logits[i] - ours[i]));
  CHECK(worst < 1e-4);
}
