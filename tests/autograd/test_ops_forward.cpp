// Every op of autograd/ops.h: the forward result against an independent naive computation (in double, from
// the same input values) and the output shape, in f32 and f64.
#include <doctest/doctest.h>

#include "../backends/naive.h"
#include "autograd/ops.h"

using bf::DType;
using bf::Shape;
using bf::Tensor;

namespace {

template <class T>
Tensor rand_t(const Shape& shape, bf::Rng& rng, double lo = -1.0, double hi = 1.0) {
  return Tensor::uniform(shape, rng, lo, hi, bf::dtype_of<T>());
}

naive::Vec vals(const Tensor& t) { return t.to_f64_vector(); }

Tensor ids_t(const std::vector<int32_t>& v, const Shape& shape) { return Tensor::from_vector(v, shape); }

}  // namespace

TEST_CASE_TEMPLATE("matmul 2-D, every transpose combination", T, float, double) {
  bf::Rng rng(101);
  const int64_t m = 3, k = 4, n = 5;
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    CAPTURE(ta);
    CAPTURE(tb);
    const Tensor a = rand_t<T>(ta ? Shape{k, m} : Shape{m, k}, rng);
    const Tensor b = rand_t<T>(tb ? Shape{n, k} : Shape{k, n}, rng);
    const Tensor c = bf::matmul(a, b, ta, tb);
    CHECK(c.shape() == Shape{m, n});
    CHECK(c.dtype() == bf::dtype_of<T>());
    // Independent: index the stored matrices directly.
    const naive::Vec av = vals(a), bv = vals(b);
    naive::Vec want(m * n, 0.0);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j)
        for (int64_t p = 0; p < k; ++p)
          want[i * n + j] += (ta ? av[p * m + i] : av[i * k + p]) * (tb ? bv[j * k + p] : bv[p * n + j]);
    NAIVE_CHECK_CLOSE_T(T, vals(c), want);
  }
}

TEST_CASE_TEMPLATE("matmul 3-D and 4-D: one product per leading index", T, float, double) {
  bf::Rng rng(102);
  SUBCASE("3-D [2,3,4] x [2,4,5]") {
    const Tensor a = rand_t<T>({2, 3, 4}, rng), b = rand_t<T>({2, 4, 5}, rng);
    const Tensor c = bf::matmul(a, b);
    CHECK(c.shape() == Shape{2, 3, 5});
    naive::Vec want(2 * 3 * 5, 0.0);
    for (int64_t z = 0; z < 2; ++z)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 5; ++j)
          for (int64_t p = 0; p < 4; ++p) want[(z * 3 + i) * 5 + j] += a.at({z, i, p}) * b.at({z, p, j});
    NAIVE_CHECK_CLOSE_T(T, vals(c), want);
  }
  SUBCASE("4-D [2,3,4,6] x [2,3,5,6]^T (attention scores)") {
    const Tensor q = rand_t<T>({2, 3, 4, 6}, rng), k = rand_t<T>({2, 3, 5, 6}, rng);
    const Tensor s = bf::matmul(q, k, false, true);
    CHECK(s.shape() == Shape{2, 3, 4, 5});
    int bad = 0;
    for (int64_t b = 0; b < 2; ++b)
      for (int64_t h = 0; h < 3; ++h)
        for (int64_t i = 0; i < 4; ++i)
          for (int64_t j = 0; j < 5; ++j) {
            double want = 0;
            for (int64_t p = 0; p < 6; ++p) want += q.at({b, h, i, p}) * k.at({b, h, j, p});
            bad += !(std::abs(s.at({b, h, i, j}) - want) <= naive::Tol<T>::atol + naive::Tol<T>::rtol * std::abs(want));
          }
    CHECK(bad == 0);
  }
  SUBCASE("4-D [1,2,5,3]^T x [1,2,5,4]") {
    const Tensor a = rand_t<T>({1, 2, 5, 3}, rng), b = rand_t<T>({1, 2, 5, 4}, rng);
    const Tensor c = bf::matmul(a, b, true, false);
    CHECK(c.shape() == Shape{1, 2, 3, 4});
    naive::Vec want(2 * 3 * 4, 0.0);
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j)
          for (int64_t p = 0; p < 5; ++p) want[(h * 3 + i) * 4 + j] += a.at({0, h, p, i}) * b.at({0, h, p, j});
    NAIVE_CHECK_CLOSE_T(T, vals(c), want);
  }
}

TEST_CASE_TEMPLATE("linear: y = x W^T + b over the last axis", T, float, double) {
  bf::Rng rng(103);
  const Tensor x = rand_t<T>({2, 3, 4}, rng), w = rand_t<T>({5, 4}, rng), b = rand_t<T>({5}, rng);
  const naive::Vec xv = vals(x), wv = vals(w), bv = vals(b);
  auto reference = [&](bool with_bias) {
    naive::Vec want(6 * 5);
    for (int64_t r = 0; r < 6; ++r)
      for (int64_t o = 0; o < 5; ++o) {
        double s = with_bias ? bv[o] : 0.0;
        for (int64_t i = 0; i < 4; ++i) s += xv[r * 4 + i] * wv[o * 4 + i];
        want[r * 5 + o] = s;
      }
    return want;
  };
  const Tensor y = bf::linear(x, w, b);
  CHECK(y.shape() == Shape{2, 3, 5});
  NAIVE_CHECK_CLOSE_T(T, vals(y), reference(true));
  const Tensor y0 = bf::linear(x, w);
  CHECK(y0.shape() == Shape{2, 3, 5});
  NAIVE_CHECK_CLOSE_T(T, vals(y0), reference(false));
  // A 1-D input is one row.
  const Tensor v = rand_t<T>({4}, rng);
  const Tensor yv = bf::linear(v, w, b);
  CHECK(yv.shape() == Shape{5});
  for (int64_t o = 0; o < 5; ++o) {
    double s = bv[o];
    for (int64_t i = 0; i < 4; ++i) s += v.at({i}) * wv[o * 4 + i];
    CHECK(yv.at({o}) == doctest::Approx(s).epsilon(naive::Tol<T>::rtol * 10));
  }
}

TEST_CASE_TEMPLATE("add, sub, mul, scale, scale_by, add_bias", T, float, double) {
  bf::Rng rng(104);
  const Tensor a = rand_t<T>({3, 4}, rng, -2, 2), b = rand_t<T>({3, 4}, rng, -2, 2);
  const naive::Vec av = vals(a), bv = vals(b);
  naive::Vec sum(12), diff(12), prod(12), scaled(12), gained(12);
  const Tensor g = Tensor::full({1}, -0.625, bf::dtype_of<T>());
  for (int i = 0; i < 12; ++i) {
    sum[i] = av[i] + bv[i];
    diff[i] = av[i] - bv[i];
    prod[i] = av[i] * bv[i];
    scaled[i] = double(T(0.3)) * av[i];
    gained[i] = -0.625 * av[i];
  }
  for (const auto& [name, got, want] : {std::tuple{"add", bf::add(a, b), sum}, std::tuple{"sub", bf::sub(a, b), diff},
                                        std::tuple{"mul", bf::mul(a, b), prod},
                                        std::tuple{"scale", bf::scale(a, 0.3), scaled},
                                        std::tuple{"scale_by", bf::scale_by(a, g), gained}}) {
    CAPTURE(name);
    CHECK(got.shape() == Shape{3, 4});
    CHECK(got.dtype() == bf::dtype_of<T>());
    NAIVE_CHECK_CLOSE_T(T, vals(got), want);
  }
  // A 0-D gain works like a [1] one.
  NAIVE_CHECK_CLOSE_T(T, vals(bf::scale_by(a, Tensor::full(Shape{}, -0.625, bf::dtype_of<T>()))), gained);

  const Tensor x = rand_t<T>({2, 3, 4}, rng), bias = rand_t<T>({4}, rng);
  const Tensor y = bf::add_bias(x, bias);
  CHECK(y.shape() == Shape{2, 3, 4});
  naive::Vec want(24);
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t j = 0; j < 3; ++j)
      for (int64_t c = 0; c < 4; ++c) want[(i * 3 + j) * 4 + c] = x.at({i, j, c}) + bias.at({c});
  NAIVE_CHECK_CLOSE_T(T, vals(y), want);
}

TEST_CASE_TEMPLATE("relu, leaky_relu, gelu", T, float, double) {
  bf::Rng rng(105);
  const Tensor x = rand_t<T>({3, 7}, rng, -3, 3);
  const naive::Vec xv = vals(x);
  naive::Vec r(21), l(21), g(21);
  for (int i = 0; i < 21; ++i) {
    r[i] = xv[i] > 0 ? xv[i] : 0.0;
    l[i] = xv[i] > 0 ? xv[i] : double(T(0.1)) * xv[i];
    g[i] = naive::gelu(xv[i]);
  }
  const Tensor yr = bf::relu(x), yl = bf::leaky_relu(x, 0.1), yg = bf::gelu(x);
  CHECK(yr.shape() == x.shape());
  CHECK(yl.shape() == x.shape());
  CHECK(yg.shape() == x.shape());
  NAIVE_CHECK_CLOSE_T(T, vals(yr), r);
  NAIVE_CHECK_CLOSE_T(T, vals(yl), l);
  NAIVE_CHECK_CLOSE_T(T, vals(yg), g);
}

TEST_CASE_TEMPLATE("sum, mean over an axis; sum_all; reshape", T, float, double) {
  bf::Rng rng(106);
  const Tensor x = rand_t<T>({2, 3, 4}, rng);
  const int64_t dims[3] = {2, 3, 4};
  for (int axis : {0, 1, 2, -1, -3}) {
    CAPTURE(axis);
    const int a = axis < 0 ? axis + 3 : axis;
    Shape out_shape;
    for (int d = 0; d < 3; ++d)
      if (d != a) out_shape.push_back(dims[d]);
    naive::Vec want(out_shape.numel(), 0.0);
    for (int64_t i = 0; i < 2; ++i)
      for (int64_t j = 0; j < 3; ++j)
        for (int64_t k = 0; k < 4; ++k) {
          const int64_t idx[3] = {i, j, k};
          int64_t flat = 0;
          for (int d = 0; d < 3; ++d)
            if (d != a) flat = flat * dims[d] + idx[d];
          want[flat] += x.at({i, j, k});
        }
    const Tensor s = bf::sum(x, axis);
    CHECK(s.shape() == out_shape);
    NAIVE_CHECK_CLOSE_T(T, vals(s), want);
    const Tensor m = bf::mean(x, axis);
    CHECK(m.shape() == out_shape);
    for (double& w : want) w /= double(dims[a]);
    NAIVE_CHECK_CLOSE_T(T, vals(m), want);
  }
  const Tensor all = bf::sum_all(x);
  CHECK(all.shape() == Shape{});
  double total = 0;
  for (double v : vals(x)) total += v;
  CHECK(all.item() == doctest::Approx(total).epsilon(naive::Tol<T>::rtol * 10));
  // Summing a 1-D tensor over its only axis gives a 0-D tensor.
  CHECK(bf::sum(rand_t<T>({5}, rng), 0).shape() == Shape{});

  const Tensor r = bf::reshape(x, {6, 4});
  CHECK(r.shape() == Shape{6, 4});
  CHECK(r.raw_data() == x.raw_data());
  CHECK(vals(r) == vals(x));
  CHECK_THROWS_AS(bf::reshape(x, {5, 5}), bf::Error);
}

TEST_CASE_TEMPLATE("softmax, plain and causal", T, float, double) {
  bf::Rng rng(107);
  const Tensor x = rand_t<T>({2, 3, 5}, rng, -3, 3);
  const Tensor y = bf::softmax(x);
  CHECK(y.shape() == x.shape());
  NAIVE_CHECK_CLOSE_T(T, vals(y), naive::softmax(vals(x), 6, 5, false));

  const Tensor s = rand_t<T>({2, 2, 4, 4}, rng, -3, 3);
  const Tensor p = bf::softmax(s, true);
  CHECK(p.shape() == s.shape());
  NAIVE_CHECK_CLOSE_T(T, vals(p), naive::softmax(vals(s), 16, 4, true));
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = i + 1; j < 4; ++j) CHECK(p.at({b, h, i, j}) == 0.0);
}

TEST_CASE_TEMPLATE("cross_entropy: the mean negative log-likelihood over non-ignored rows", T, float, double) {
  bf::Rng rng(108);
  const Tensor logits = rand_t<T>({5, 7}, rng, -2, 2);
  const std::vector<int32_t> t = {3, 0, -1, 6, 3};
  const Tensor loss = bf::cross_entropy(logits, ids_t(t, {5}), -1);
  CHECK(loss.shape() == Shape{});
  CHECK(loss.dtype() == bf::dtype_of<T>());
  // Independent: -log(exp(x_t) / sum_j exp(x_j)) averaged over the 4 valid rows.
  const naive::Vec lv = vals(logits);
  double total = 0;
  for (int64_t r : {0, 1, 3, 4}) {
    double z = 0;
    for (int64_t j = 0; j < 7; ++j) z += std::exp(lv[r * 7 + j]);
    total += -std::log(std::exp(lv[r * 7 + t[r]]) / z);
  }
  NAIVE_CHECK_CLOSE_T(T, naive::Vec{loss.item()}, naive::Vec{total / 4});
  // Another ignore_index.
  const std::vector<int32_t> t2 = {2, 2, 2, 5, 1};
  const Tensor loss2 = bf::cross_entropy(logits, ids_t(t2, {5}), 2);
  NAIVE_CHECK_CLOSE_T(T, naive::Vec{loss2.item()}, naive::Vec{naive::cross_entropy(lv, t2, 5, 7, 2)});
  // Every row ignored: 0.
  CHECK(bf::cross_entropy(logits, ids_t({-1, -1, -1, -1, -1}, {5})).item() == 0.0);
}

TEST_CASE_TEMPLATE("layer_norm and rms_norm over the last axis", T, float, double) {
  bf::Rng rng(109);
  const Tensor x = rand_t<T>({2, 3, 6}, rng, -2, 2);
  const Tensor w = rand_t<T>({6}, rng, 0.5, 1.5), b = rand_t<T>({6}, rng);
  const Tensor y = bf::layer_norm(x, w, b, 1e-5);
  CHECK(y.shape() == x.shape());
  NAIVE_CHECK_CLOSE(vals(y), naive::layer_norm(vals(x), vals(w), vals(b), 6, 6, double(T(1e-5))).y,
                    10 * naive::Tol<T>::rtol, 10 * naive::Tol<T>::atol);
  const Tensor r = bf::rms_norm(x, w, 1e-5);
  CHECK(r.shape() == x.shape());
  NAIVE_CHECK_CLOSE_T(T, vals(r), naive::rms_norm(vals(x), vals(w), 6, 6, double(T(1e-5))).y);
  // The eps argument is used: a large eps shrinks the rms-normalised output.
  const Tensor big = bf::rms_norm(x, w, 10.0);
  NAIVE_CHECK_CLOSE_T(T, vals(big), naive::rms_norm(vals(x), vals(w), 6, 6, 10.0).y);
}

TEST_CASE_TEMPLATE("embedding gathers rows; split_heads and merge_heads permute", T, float, double) {
  bf::Rng rng(110);
  const Tensor table = rand_t<T>({6, 4}, rng);
  const std::vector<int32_t> idv = {1, 5, 1, 0, 5, 5};
  const Tensor y = bf::embedding(table, ids_t(idv, {2, 3}));
  CHECK(y.shape() == Shape{2, 3, 4});
  CHECK(y.dtype() == bf::dtype_of<T>());
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t c = 0; c < 4; ++c) CHECK(y.at({i / 3, i % 3, c}) == table.at({idv[i], c}));
  CHECK(bf::embedding(table, ids_t({4}, {1})).shape() == Shape{1, 4});

  const Tensor x = rand_t<T>({2, 3, 6}, rng);  // B=2, T=3, H=2, dk=3
  const Tensor s = bf::split_heads(x, 2);
  CHECK(s.shape() == Shape{2, 2, 3, 3});
  int bad = 0;
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 2; ++h)
      for (int64_t t = 0; t < 3; ++t)
        for (int64_t c = 0; c < 3; ++c) bad += s.at({b, h, t, c}) != x.at({b, t, h * 3 + c});
  CHECK(bad == 0);
  const Tensor m = bf::merge_heads(s);
  CHECK(m.shape() == Shape{2, 3, 6});
  CHECK(vals(m) == vals(x));
  // One head: split is a reshape; six heads of width 1.
  CHECK(vals(bf::split_heads(x, 1)) == vals(x));
  CHECK(bf::split_heads(x, 6).shape() == Shape{2, 6, 3, 1});
}

TEST_CASE_TEMPLATE("attention_mix: alpha I + beta A - gamma C per head", T, float, double) {
  bf::Rng rng(111);
  const Tensor a = rand_t<T>({2, 3, 4, 4}, rng), alpha = rand_t<T>({3}, rng), beta = rand_t<T>({3}, rng),
               gamma = rand_t<T>({3}, rng), c = rand_t<T>({4, 4}, rng, 0, 1);
  const Tensor y = bf::attention_mix(a, alpha, beta, gamma, c);
  const Tensor y4 = bf::attention_mix(a, alpha, beta);  // Eq. 4: no centring term
  CHECK(y.shape() == a.shape());
  CHECK(y4.shape() == a.shape());
  int bad = 0, bad4 = 0;
  auto close = [](double got, double want) {
    return std::abs(got - want) <= naive::Tol<T>::atol + naive::Tol<T>::rtol * std::abs(want);
  };
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          const double skip = (i == j ? alpha.at({h}) : 0.0) + beta.at({h}) * a.at({b, h, i, j});
          bad4 += !close(y4.at({b, h, i, j}), skip);
          bad += !close(y.at({b, h, i, j}), skip - gamma.at({h}) * c.at({i, j}));
        }
  CHECK(bad == 0);
  CHECK(bad4 == 0);
}
