// The gradcheck cases of every registered op (autograd/op_registry.h), each naming its op: small f64
// inputs, the op applied, and the per-op knobs. Used by `bareformer gradcheck` and by the tests, so both
// check exactly the same thing.
#pragma once
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/rng.h"

namespace bf {

struct GradcheckCase {
  std::string op;     // the registered op it checks (autograd/op_registry.h)
  std::string name;   // the op's name, or the op's name and a suffix for a variant (matmul_ta)
  std::string shapes; // human-readable input shapes, for the report
  std::function<std::vector<Tensor>(Rng& rng, Device device)> make_inputs;  // f64, requires_grad set
  GradcheckFn fn;
  GradcheckOptions options;
};

const std::vector<GradcheckCase>& gradcheck_cases();

}  // namespace bf
