// relu, leaky_relu, gelu and their backward kernels. Forwards against naive loops; backwards against the
// hand-derived derivative (and, for gelu, that derivative is itself checked by a finite difference).
// Backward kernels must accumulate (+=) into a pre-filled dx.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

namespace {

// Inputs with exact zeros and both signs, padded to a size above the OpenMP grain.
template <class T>
std::vector<T> activation_inputs(bf::Rng& rng, int64_t n) {
  std::vector<T> x = naive::random_vec<T>(n, rng, -4, 4);
  x[0] = T(0);
  x[1] = T(-0.0);
  x[2] = T(1e-3);
  x[3] = T(-1e-3);
  return x;
}

constexpr int64_t kSizes[] = {16, 40003};

}  // namespace

TEST_CASE_TEMPLATE("relu forward and backward", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(31);
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto x = activation_inputs<T>(rng, n);
    const auto dy = naive::random_vec<T>(n, rng), dx0 = naive::random_vec<T>(n, rng);
    std::vector<T> y(n, T(5));
    K.relu(n, x.data(), y.data());
    naive::Vec want(n), want_dx(n);
    for (int64_t i = 0; i < n; ++i) {
      want[i] = x[i] > 0 ? double(x[i]) : 0.0;
      // d relu / dx = 1 for x > 0, 0 for x <= 0 (0 at the kink, as PyTorch).
      want_dx[i] = double(dx0[i]) + (x[i] > 0 ? double(dy[i]) : 0.0);
    }
    NAIVE_CHECK_CLOSE(naive::to_d(y), want, 0.0, 0.0);
    std::vector<T> dx = dx0;
    K.relu_backward(n, x.data(), dy.data(), dx.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(dx), want_dx);
  }
}

TEST_CASE_TEMPLATE("leaky_relu forward and backward", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(32);
  const double slope = 0.15;
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto x = activation_inputs<T>(rng, n);
    const auto dy = naive::random_vec<T>(n, rng), dx0 = naive::random_vec<T>(n, rng);
    std::vector<T> y(n, T(5));
    K.leaky_relu(n, T(slope), x.data(), y.data());
    naive::Vec want(n), want_dx(n);
    for (int64_t i = 0; i < n; ++i) {
      const double xi = x[i];
      want[i] = xi > 0 ? xi : double(T(slope)) * xi;
      want_dx[i] = double(dx0[i]) + (xi > 0 ? 1.0 : double(T(slope))) * double(dy[i]);
    }
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);
    std::vector<T> dx = dx0;
    K.leaky_relu_backward(n, T(slope), x.data(), dy.data(), dx.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(dx), want_dx);
  }
}

TEST_CASE("the hand-derived gelu derivative agrees with a finite difference of gelu") {
  // Guards the test's own reference formula before it is used to judge the kernel.
  for (double x = -6.0; x <= 6.0; x += 0.37) {
    CAPTURE(x);
    const double fd = naive::central_difference(naive::gelu, x, 1e-5);
    CHECK(std::abs(naive::gelu_derivative(x) - fd) <= 1e-8);
  }
  // Known values of the tanh form: gelu(0) = 0, gelu'(0) = 1/2, and gelu(x) -> x, 0 in the tails.
  CHECK(naive::gelu(0.0) == 0.0);
  CHECK(naive::gelu_derivative(0.0) == doctest::Approx(0.5).epsilon(1e-15));
  CHECK(naive::gelu(10.0) == doctest::Approx(10.0).epsilon(1e-12));
  CHECK(std::abs(naive::gelu(-10.0)) < 1e-12);
}

TEST_CASE_TEMPLATE("gelu forward and backward", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(33);
  for (int64_t n : kSizes) {
    CAPTURE(n);
    const auto x = activation_inputs<T>(rng, n);
    const auto dy = naive::random_vec<T>(n, rng), dx0 = naive::random_vec<T>(n, rng);
    std::vector<T> y(n, T(5));
    K.gelu(n, x.data(), y.data());
    naive::Vec want(n), want_dx(n);
    for (int64_t i = 0; i < n; ++i) {
      want[i] = naive::gelu(double(x[i]));
      want_dx[i] = double(dx0[i]) + double(dy[i]) * naive::gelu_derivative(double(x[i]));
    }
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(y), want);
    std::vector<T> dx = dx0;
    K.gelu_backward(n, x.data(), dy.data(), dx.data());
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(dx), want_dx);
  }
}
