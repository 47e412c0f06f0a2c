// Orthogonal initialisation (V-SkipInit's W^V, W^P): Eigen's Householder QR of a Gaussian matrix.
// GCC 12 reports a false "maybe-uninitialized" inside Eigen's AVX-512 packet code (where it is inlined into
// this file's code), so the warning is off for this one file.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <Eigen/QR>

#include "nn/layers.h"

namespace bf {

Tensor InitContext::orthogonal(int64_t n) const {
  // Q of the QR decomposition of a Gaussian matrix, with signs fixed by diag(R) so Q is Haar-distributed.
  Eigen::MatrixXd g(n, n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) g(i, j) = rng.normal();
  Eigen::HouseholderQR<Eigen::MatrixXd> qr(g);
  Eigen::MatrixXd q = qr.householderQ();
  Eigen::MatrixXd r = qr.matrixQR().triangularView<Eigen::Upper>();
  std::vector<double> values(n * n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < n; ++j) values[i * n + j] = q(i, j) * (r(j, j) < 0 ? -1.0 : 1.0);
  return Tensor::from_vector(values, Shape{n, n}).to(dtype).to(device);
}

}  // namespace bf

#pragma GCC diagnostic pop
