// Where the f32 softmax tolerances of test_kernels.cpp come from (softmax_cases.h holds them), checked
// without a GPU: the GPU kernels' f32 arithmetic replayed on the host (softmax_emulation.h: the lane
// order, the butterflies, the fused multiply-adds, expf moved by up to 2 ulp) against the real CPU
// kernel, on the very inputs of the parity test, for 20 draws of the expf errors. Each tolerance must
// hold the worst emulated element to a quarter of what it allows (2 for the device's rounding not being
// exactly the emulation's, 2 for margin).
//
// Error model, u = 2^-24 (half an ulp at 1), n visible entries of a row, per device:
//   forward  y_j = e_j / s: exp 2 ulp = 4u; the sum s adds (n - 1) roundings; reciprocal and product 2u;
//            so |dy_j| <= (n + 9) u y_j, relative to y_j (x_j - max is the same bits on both devices);
//   backward dx_j += y_j (dy_j - <dy, y>), |dy| <= 1, sum y = 1: the dot carries (2n + 9) u, the
//            difference 2u more of |dy_j - dot| <= 2, the product and the accumulation a rounding each:
//            |err dx_j| <= (4n + 31) u y_j + 3u.
// For the early causal rows (n = 1..3) y_j is of order 1, the bound is 46u = 2.7e-6 per device, and
// where dx0_j and y_j (dy_j - dot) cancel, |dx_j| is near 0 and only atol * scale (scale = max |dx|, about
// 2 here) covers it: the former atol 1e-7 allowed about 3u there against a worst case of 2 x 46u, and
// the emulation uses 0.52 of it (worst element, 20 draws), more than the quarter this test asks.
// atol = 1e-6 allows about 34u: the emulation then uses 0.08 of it. The worst case of 92u would need every
// rounding of both devices to align, which independent roundings do not do. Long rows (n up to 300) have
// y_j ~ 1/n, so their absolute errors are smaller, except where one logit dominates (x = 60 in the first
// row), and then the other terms are ~e^-54 and add nothing. The forward's rtol 1e-5 (168u) covers the
// relative error of y, (n + 9) u in the worst case, which passes 168u only if 160 or more roundings of
// a 300-entry sum align; the emulation uses 0.05 of the forward tolerance.
// BAREFORMER_CUDA_TEST_PREMISES=1 build/tests/test_cuda prints these ratios per case without a GPU.
#include <doctest/doctest.h>

#include <string>

#include "backends/kernels.h"
#include "cuda/softmax_cases.h"
#include "cuda/softmax_emulation.h"

TEST_CASE("premise: the GPU's softmax arithmetic, emulated, stays within a quarter of the f32 tolerances") {
  using namespace bf::test;
  const auto& cpu = bf::kernels<float>(bf::Device::cpu);
  double worst_forward = 0, worst_backward = 0, worst_backward_old = 0;
  for (const SoftmaxCase& s : softmax_cases()) {
    const SoftmaxInputs<float> in = softmax_inputs<float>(s);
    std::vector<float> y(in.x.size()), dx = in.dx0;
    cpu.softmax(s.rows, s.cols, s.causal, in.x.data(), y.data());
    cpu.softmax_backward(s.rows, s.cols, y.data(), in.dy.data(), dx.data());
    const std::vector<double> want_y(y.begin(), y.end()), want_dx(dx.begin(), dx.end());
    double case_forward = 0, case_backward = 0;
    for (uint64_t draw = 0; draw < 20; ++draw) {
      bf::Rng rng(9000 + draw);
      const std::vector<float> gy = emulate_softmax(s.rows, s.cols, s.causal, in.x, rng);
      std::vector<float> gdx = in.dx0;
      emulate_softmax_backward(s.rows, s.cols, gy, in.dy, gdx);
      const std::vector<double> got_y(gy.begin(), gy.end()), got_dx(gdx.begin(), gdx.end());
      case_forward = std::max(case_forward, parity_worst_ratio(got_y, want_y, kSoftmaxForwardF32));
      case_backward = std::max(case_backward, parity_worst_ratio(got_dx, want_dx, kSoftmaxBackwardF32));
      worst_backward_old = std::max(worst_backward_old, parity_worst_ratio(got_dx, want_dx, {1e-5, 1e-7}));
    }
    MESSAGE("softmax rows " << s.rows << " cols " << s.cols << std::string(s.causal ? " causal" : "") << ": worst error / allowed "
                            << case_forward << " (forward), " << case_backward << " (backward)");
    worst_forward = std::max(worst_forward, case_forward);
    worst_backward = std::max(worst_backward, case_backward);
  }
  MESSAGE("backward under the former {1e-5, 1e-7}: worst error / allowed " << worst_backward_old);
  CHECK(worst_forward <= 0.25);
  CHECK(worst_backward <= 0.25);
}
