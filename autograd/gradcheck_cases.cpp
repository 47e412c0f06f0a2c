#include "autograd/gradcheck_cases.h"

#include <algorithm>

#include "autograd/op_registry.h"

namespace bf {
namespace {

// Filled during static initialisation by the op files; function-local so it exists before the first one.
std::vector<GradcheckCase>& registrations() {
  static std::vector<GradcheckCase> all;
  return all;
}

}  // namespace

bool register_gradcheck_cases(std::vector<GradcheckCase> cases) {
  for (GradcheckCase& c : cases) registrations().push_back(std::move(c));
  return true;
}

const std::vector<GradcheckCase>& gradcheck_cases() {
  static const std::vector<GradcheckCase> sorted = [] {
    const std::vector<OpInfo>& ops = op_registry();  // links every op file, so every case is registered
    auto op_index = [&](const GradcheckCase& c) {
      return std::find_if(ops.begin(), ops.end(), [&](const OpInfo& op) { return op.name == c.op; }) - ops.begin();
    };
    std::vector<GradcheckCase> all = registrations();
    // A case naming no registered op sorts last (test_op_registry.cpp reports it).
    std::stable_sort(all.begin(), all.end(),
                     [&](const GradcheckCase& a, const GradcheckCase& b) { return op_index(a) < op_index(b); });
    return all;
  }();
  return sorted;
}

namespace gradcheck_inputs {

Tensor param(const Shape& shape, Rng& rng, Device device, double lo, double hi) {
  Tensor t = Tensor::uniform(shape, rng, lo, hi, DType::f64, device);
  t.set_requires_grad(true);
  return t;
}

Tensor away_from_zero(const Shape& shape, Rng& rng, Device device, double margin) {
  std::vector<double> v(shape.numel());
  for (double& x : v) x = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(margin, 1.0);
  Tensor t = Tensor::from_vector(v, shape, device);
  t.set_requires_grad(true);
  return t;
}

Tensor constant(const Shape& shape, Rng& rng, Device device, double lo, double hi) {
  return Tensor::uniform(shape, rng, lo, hi, DType::f64, device);
}

GradcheckInputs shaped_attention_inputs(Rng& rng, Device device) {
  Tensor centring = constant({3, 3}, rng, device);
  return {param({2, 2, 3, 3}, rng, device), param({2}, rng, device), param({2}, rng, device),
          param({2}, rng, device), centring};
}

GradcheckInputs skipinit_attention_inputs(Rng& rng, Device device) {
  return {param({2, 2, 3, 3}, rng, device), param({2}, rng, device), param({2}, rng, device)};
}

}  // namespace gradcheck_inputs
}  // namespace bf
