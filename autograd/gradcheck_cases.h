// The gradcheck cases of the registered ops (autograd/op_registry.h). Each op file registers its own cases
// at its end, beside the op's forward and backward: small f64 inputs, the op applied, and the per-op knobs.
// `bareformer gradcheck` and the tests run the same list, so both check exactly the same thing.
#pragma once
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/rng.h"

namespace bf {

using GradcheckInputs = std::vector<Tensor>;

struct GradcheckCase {
  std::string op;     // the registered op it checks (autograd/op_registry.h)
  std::string name;   // the op's name, or the op's name and a suffix for a variant (matmul_ta)
  std::string shapes; // human-readable input shapes, for the report
  std::function<GradcheckInputs(Rng& rng, Device device)> make_inputs;  // f64, requires_grad set
  GradcheckFn fn;
  GradcheckOptions options = {};
};

// Every registered case, by op in registry order, then in the order its file registers them.
const std::vector<GradcheckCase>& gradcheck_cases();

// Called once per op file, during static initialisation: `const bool registered = register_gradcheck_cases({...});`
bool register_gradcheck_cases(std::vector<GradcheckCase> cases);

// Inputs for the cases, and `In`, the argument type of a case's op lambda: `[](In x) { return relu(x[0]); }`.
namespace gradcheck_inputs {

using In = const GradcheckInputs&;

// Uniform in [lo, hi], f64, requires grad.
Tensor param(const Shape& shape, Rng& rng, Device device, double lo = -1.0, double hi = 1.0);
// |x| in [margin, 1] with a random sign: keeps finite differences away from a kink at 0.
Tensor away_from_zero(const Shape& shape, Rng& rng, Device device, double margin = 0.1);
// Uniform in [lo, hi], f64, no gradient: a constant input (the centring matrix C).
Tensor constant(const Shape& shape, Rng& rng, Device device, double lo = 0.0, double hi = 1.0);
// Attention probabilities (or scores) [2, 2, 3, 3] with per-head gains [2]: alpha, beta, gamma and a
// constant C [3, 3] (shaped attention, Eq. 5; C drawn first), or alpha and beta only (skipinit, Eq. 4).
GradcheckInputs shaped_attention_inputs(Rng& rng, Device device);
GradcheckInputs skipinit_attention_inputs(Rng& rng, Device device);

}  // namespace gradcheck_inputs
}  // namespace bf
