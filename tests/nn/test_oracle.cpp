// The whole model of every preset against the independent PyTorch reference (tests/oracle/): same
// weights, same tokens -> logits, loss and every parameter gradient must match.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "autograd/tape.h"
#include "model_fixtures.h"

using namespace bf;
using nlohmann::json;

namespace {

json load_fixture(const std::string& preset) {
  const std::string path = std::string(BF_SOURCE_DIR) + "/tests/oracle/fixtures/" + preset + ".json";
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "missing fixture " << path);
  return json::parse(in);
}

Tensor tensor_from(const json& entry, DType dtype) {
  std::vector<int64_t> shape = entry.at("shape").get<std::vector<int64_t>>();
  std::vector<double> data = entry.at("data").get<std::vector<double>>();
  return Tensor::from_vector(data, Shape::from(shape)).to(dtype);
}

double max_abs(const Tensor& t) {
  double m = 0;
  for (double v : t.to_f64_vector()) m = std::max(m, std::abs(v));
  return m;
}

// max |got - want| / max(max |want|, floor): the error relative to the tensor's own scale. The floor keeps
// tensors whose exact value is ~0 from dividing rounding noise by ~0: the key-bias gradient is 0 in exact
// arithmetic (a constant added to a softmax row changes nothing), the fixture holds 1e-18 noise.
double scaled_error(const Tensor& got, const Tensor& want, double floor = 1e-300) {
  std::vector<double> g = got.to_f64_vector(), w = want.to_f64_vector();
  REQUIRE(g.size() == w.size());
  double err = 0, scale = floor;
  for (size_t i = 0; i < g.size(); ++i) {
    err = std::max(err, std::abs(g[i] - w[i]));
    scale = std::max(scale, std::abs(w[i]));
  }
  return err / scale;
}

void check_preset_against_oracle(const std::string& preset, DType dtype, double loss_rtol, double grad_rtol) {
  const json fx = load_fixture(preset);
  ModelConfig config = test::tiny_config(preset);
  const json& m = fx.at("model");
  REQUIRE(m.at("n_layer") == config.n_layer);
  REQUIRE(m.at("d_model") == config.d_model);
  Gpt model(config, 7, dtype);

  // Same parameter names, same shapes.
  std::set<std::string> ours, theirs;
  for (const auto& p : model.parameters().all()) ours.insert(p.name);
  for (const auto& [name, _] : fx.at("params").items()) theirs.insert(name);
  CHECK(ours == theirs);
  for (const auto& p : model.parameters().all()) {
    Tensor value = tensor_from(fx.at("params").at(p.name), dtype);
    REQUIRE_MESSAGE(value.shape() == p.value.shape(), p.name);
    Tensor target = p.value;
    target.copy_from(value);
  }

  const int64_t batch = fx.at("batch"), t = fx.at("seq_len");
  std::vector<int32_t> tokens, targets;
  for (const auto& row : fx.at("tokens")) for (int v : row) tokens.push_back(v);
  for (const auto& row : fx.at("targets")) for (int v : row) targets.push_back(v);
  Tensor tok = test::tokens_from(tokens, batch, t), tgt = test::tokens_from(targets, batch, t);

  {
    NoGradGuard no_grad;
    Tensor logits = model.forward(tok);
    CHECK_MESSAGE(scaled_error(logits, tensor_from(fx.at("logits"), dtype)) < loss_rtol, preset << " logits");
  }
  Tensor loss = model.loss(tok, tgt);
  const double want = fx.at("loss");
  CHECK_MESSAGE(std::abs(loss.item() - want) <= loss_rtol * std::abs(want), preset << " loss " << loss.item()
                                                                                   << " vs " << want);
  backward(loss);
  // Floor: 1e-3 of the largest gradient anywhere in the model.
  double largest = 0;
  for (const auto& [name, entry] : fx.at("grads").items()) largest = std::max(largest, max_abs(tensor_from(entry, DType::f64)));
  for (const auto& p : model.parameters().all()) {
    REQUIRE_MESSAGE(p.value.grad().defined(), preset << ": no gradient for " << p.name);
    const double err = scaled_error(p.value.grad(), tensor_from(fx.at("grads").at(p.name), dtype), 1e-3 * largest);
    CHECK_MESSAGE(err < grad_rtol, preset << " " << dtype_name(dtype) << " gradient of " << p.name << ": error "
                                          << err);
  }
}

}  // namespace

TEST_CASE("every preset matches the PyTorch oracle in f64 (loss and gradients to 1e-10)") {
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    check_preset_against_oracle(preset, DType::f64, 1e-10, 1e-10);
  }
}

TEST_CASE("every preset matches the PyTorch oracle in f32 (loss 1e-5, gradients 1e-4)") {
  for (const std::string& preset : preset_names()) {
    INFO(preset);
    check_preset_against_oracle(preset, DType::f32, 1e-5, 1e-4);
  }
}
