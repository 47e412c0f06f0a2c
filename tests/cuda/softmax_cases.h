// The softmax parity cases of test_kernels.cpp, their inputs and their f32 tolerances, shared with the
// premise test that derives those tolerances (test_softmax_premise.cpp).
#pragma once
#include <cstdint>
#include <vector>

#include "backends/naive.h"
#include "cuda/parity.h"

namespace bf::test {

struct SoftmaxCase {
  int64_t rows, cols;
  bool causal;
};

// Plain rows up to 300 columns, and causal [T, T] blocks whose first rows see 1, 2, 3 entries.
inline std::vector<SoftmaxCase> softmax_cases() {
  return {{1, 1, false}, {5, 7, false}, {1000, 300, false}, {6 * 64, 64, true}, {2 * 128, 128, true}, {3 * 33, 33, true}};
}

template <class T>
struct SoftmaxInputs {
  std::vector<T> x, dy, dx0;
};
template <class T>
SoftmaxInputs<T> softmax_inputs(const SoftmaxCase& s) {
  bf::Rng rng(500);
  SoftmaxInputs<T> in;
  in.x = naive::random_vec<T>(s.rows * s.cols, rng, -6, 6);
  if (in.x.size() > 2) in.x[1] = T(60);  // a large logit: the max subtraction must keep exp finite
  in.dy = naive::random_vec<T>(in.x.size(), rng);
  in.dx0 = naive::random_vec<T>(in.x.size(), rng);
  return in;
}

// f32 tolerances {rtol, atol relative to the output's scale} (parity.h), derived and checked in
// test_softmax_premise.cpp, where the reasoning is.
constexpr Tolerance kSoftmaxForwardF32{1e-5, 1e-7};
constexpr Tolerance kSoftmaxBackwardF32{1e-5, 1e-6};

}  // namespace bf::test
