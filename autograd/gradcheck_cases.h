// The gradcheck case of every op: small f64 inputs, the op applied, and the per-op knobs. Used by
// `bareformer gradcheck` and by the tests, so both check exactly the same thing.
#pragma once
#include <string>
#include <vector>

#include "autograd/gradcheck.h"
#include "core/rng.h"

namespace bf {

struct GradcheckCase {
  std::string name;   // op name as in docs/ops.md; variants carry a suffix (matmul_ta)
  std::string shapes; // human-readable input shapes, for the report
  std::function<std::vector<Tensor>(Rng& rng, Device device)> make_inputs;  // f64, requires_grad set
  GradcheckFn fn;
  GradcheckOptions options;
};

const std::vector<GradcheckCase>& gradcheck_cases();

}  // namespace bf
