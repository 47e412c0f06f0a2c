#include "autograd/gradcheck.h"

#include <cmath>
#include <sstream>

#include "autograd/tape.h"

namespace bf {
namespace {

// L = sum_i y_i R_i, accumulated in double on the host.
double projected(const Tensor& y, const std::vector<double>& r) {
  std::vector<double> v = y.to_f64_vector();
  double sum = 0;
  for (size_t i = 0; i < v.size(); ++i) sum += v[i] * r[i];
  return sum;
}

}  // namespace

GradcheckResult gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  for (const Tensor& x : inputs)
    if (x.defined() && x.requires_grad())
      BF_CHECK(x.dtype() == DType::f64, "gradcheck: input ", x.shape(), " is ", dtype_name(x.dtype()),
               "; finite differences need f64");
  for (const Tensor& x : inputs)
    if (x.defined()) x.impl().grad.reset();

  // Analytic gradients: one backward seeded with R.
  Tensor y = fn(inputs);
  Rng rng(options.seed);
  Tensor r = Tensor::uniform(y.shape(), rng, -1.0, 1.0, DType::f64, y.device());
  const std::vector<double> r_host = r.to_f64_vector();
  backward(y, r);

  GradcheckResult result;
  double worst_ratio = -1;
  NoGradGuard no_grad;
  for (size_t which = 0; which < inputs.size(); ++which) {
    Tensor x = inputs[which];  // a handle: writes go to the caller's data
    if (!x.defined() || !x.requires_grad()) continue;
    const std::vector<double> analytic =
        x.grad().defined() ? x.grad().to_f64_vector() : std::vector<double>(x.numel(), 0.0);
    Tensor host = x.to(Device::cpu);
    double* p = host.data<double>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double original = p[i];
      p[i] = original + options.eps;
      x.copy_from(host);
      const double plus = projected(fn(inputs), r_host);
      p[i] = original - options.eps;
      x.copy_from(host);
      const double minus = projected(fn(inputs), r_host);
      p[i] = original;
      x.copy_from(host);
      const double numeric = (plus - minus) / (2 * options.eps);
      const double err = std::abs(analytic[i] - numeric);
      const double allowed = options.atol + options.rtol * std::abs(numeric);
      // NaN anywhere (analytic or numeric) must fail, so test "within tolerance" rather than "beyond it".
      const double ratio = err <= allowed ? err / allowed : (std::isfinite(err) ? err / allowed : INFINITY);
      ++result.checked_elements;
      result.max_abs_error = std::max(result.max_abs_error, err);
      if (std::abs(numeric) > 1e-3)  // relative error is meaningless where the gradient is ~0
        result.max_rel_error = std::max(result.max_rel_error, err / std::max(std::abs(numeric), 1e-12));
      if (ratio > worst_ratio) {
        worst_ratio = ratio;
        std::ostringstream w;
        w << "input " << which << " " << x.shape() << " element " << i << ": analytic " << analytic[i]
          << " numeric " << numeric;
        result.worst = w.str();
      }
    }
  }
  result.passed = result.checked_elements > 0 && worst_ratio <= 1.0;
  return result;
}

}  // namespace bf
