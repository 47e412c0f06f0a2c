// Gradient check: analytic gradients from the tape against central finite differences, in f64.
//
// For f: inputs -> y, pick a fixed random projection R (same shape as y) and the scalar L = sum(y * R).
// Analytic: one backward pass seeded with dL/dy = R. Numeric, for every element x_i of every input that
// requires grad: (L(x_i + eps) - L(x_i - eps)) / (2 eps), error O(eps^2). An element passes when
// |analytic - numeric| <= atol + rtol * |numeric|.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace bf {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-8;
  double rtol = 1e-6;
  uint64_t seed = 1234;  // for the projection R
};

struct GradcheckResult {
  bool passed = true;
  double max_abs_error = 0;
  double max_rel_error = 0;  // |a - n| / max(|n|, 1e-12) at the worst element
  int64_t checked_elements = 0;
  std::string worst;         // "input 1 element 7: analytic 0.51 numeric 0.49"
};

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>& inputs)>;

// Every floating input that requires grad must be f64 (others, e.g. i32 ids, are passed through).
GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace bf
