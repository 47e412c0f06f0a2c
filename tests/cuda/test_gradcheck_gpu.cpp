// Gradcheck in f64 on the GPU for every op: the same cases as `bareformer gradcheck` and tests/autograd
// (registered at the end of each autograd/ops/*.cpp), with their inputs made on the cuda device, so the forward and backward
// kernels that run are the CUDA ones. Central differences against the tape's gradients, per element.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "autograd/gradcheck_cases.h"
#include "autograd/tape.h"

TEST_CASE("every op passes gradcheck in f64 on the GPU") {
  for (const bf::GradcheckCase& c : bf::gradcheck_cases()) {
    INFO(c.name << " " << c.shapes);
    bf::Rng rng(4242);
    const std::vector<bf::Tensor> inputs = c.make_inputs(rng, bf::Device::cuda);
    for (const bf::Tensor& x : inputs)
      if (x.defined()) REQUIRE(x.device() == bf::Device::cuda);
    const bf::GradcheckResult r = bf::gradcheck(c.fn, inputs, c.options);
    CHECK_MESSAGE(r.passed, c.name << ": worst " << r.worst << " (max abs error " << r.max_abs_error << ")");
  }
}

TEST_CASE("the GPU's analytic gradients equal the CPU's for every op (f64, 1e-12 of the scale)") {
  for (const bf::GradcheckCase& c : bf::gradcheck_cases()) {
    INFO(c.name);
    std::vector<std::vector<double>> grads[2];
    int side = 0;
    for (bf::Device device : {bf::Device::cpu, bf::Device::cuda}) {
      bf::Rng rng(4243);  // the same inputs on both devices
      const std::vector<bf::Tensor> inputs = c.make_inputs(rng, device);
      bf::Tensor y = c.fn(inputs);
      bf::Rng seed_rng(7);
      bf::backward(y, bf::Tensor::uniform(y.shape(), seed_rng, -1, 1, bf::DType::f64, device));
      for (const bf::Tensor& x : inputs)
        if (x.defined() && x.requires_grad()) grads[side].push_back(x.grad().to_f64_vector());
      ++side;
    }
    REQUIRE(grads[0].size() == grads[1].size());
    for (size_t i = 0; i < grads[0].size(); ++i) {
      double scale = 1;
      for (double g : grads[0][i]) scale = std::max(scale, std::abs(g));
      for (size_t j = 0; j < grads[0][i].size(); ++j)
        CHECK_MESSAGE(std::abs(grads[1][i][j] - grads[0][i][j]) <= 1e-12 * scale,
                      "input " << i << " element " << j << ": cuda " << grads[1][i][j] << " cpu " << grads[0][i][j]);
    }
  }
}
