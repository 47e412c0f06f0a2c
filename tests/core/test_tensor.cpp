// Tensor: factories, seeded random factories, views (view shares storage), deep copies, dtype
// conversion, element access and its errors, printing.
#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/tensor.h"

using bf::DType;
using bf::Shape;
using bf::Tensor;

namespace {

bool all_equal(const std::vector<double>& v, double value) {
  for (double x : v)
    if (x != value) return false;
  return true;
}

}  // namespace

TEST_CASE("zeros, ones and full have the requested shape, dtype and values") {
  for (DType dt : {DType::f32, DType::f64, DType::i32}) {
    CAPTURE(bf::dtype_name(dt));
    const Tensor z = Tensor::zeros({2, 3}, dt);
    CHECK(z.shape() == Shape{2, 3});
    CHECK(z.dtype() == dt);
    CHECK(z.device() == bf::Device::cpu);
    CHECK(z.numel() == 6);
    CHECK(z.nbytes() == 6 * bf::dtype_size(dt));
    CHECK(all_equal(z.to_f64_vector(), 0.0));
    CHECK(all_equal(Tensor::ones({4}, dt).to_f64_vector(), 1.0));
    CHECK(all_equal(Tensor::full({2, 2, 2}, 3.0, dt).to_f64_vector(), 3.0));
  }
  CHECK(Tensor::full({3}, -2.5, DType::f32).to_vector<float>() == std::vector<float>{-2.5f, -2.5f, -2.5f});
  // A 0-D tensor holds one element.
  const Tensor scalar = Tensor::full(Shape{}, 4.25, DType::f64);
  CHECK(scalar.ndim() == 0);
  CHECK(scalar.numel() == 1);
  CHECK(scalar.item() == 4.25);
  // zeros really zeroes a recycled buffer.
  { Tensor dirty = Tensor::full({513}, 7.0, DType::f64); }
  CHECK(all_equal(Tensor::zeros({513}, DType::f64).to_f64_vector(), 0.0));
}

TEST_CASE("from_vector keeps the values and order; the count must fill the shape") {
  const Tensor f = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  CHECK(f.dtype() == DType::f32);
  CHECK(f.at({0, 0}) == 1);
  CHECK(f.at({0, 2}) == 3);
  CHECK(f.at({1, 0}) == 4);
  CHECK(f.at({1, 2}) == 6);
  const Tensor d = Tensor::from_vector(std::vector<double>{0.1, 0.2}, {2});
  CHECK(d.dtype() == DType::f64);
  CHECK(d.to_vector<double>() == std::vector<double>{0.1, 0.2});
  const Tensor i = Tensor::from_vector(std::vector<int32_t>{7, -3, 9}, {3});
  CHECK(i.dtype() == DType::i32);
  CHECK(i.to_vector<int32_t>() == std::vector<int32_t>{7, -3, 9});
  CHECK_THROWS_AS(Tensor::from_vector(std::vector<float>{1, 2, 3}, {2, 2}), bf::Error);
  CHECK_THROWS_WITH(Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5}, {2, 2}), doctest::Contains("[2, 2]"));
}

TEST_CASE("randn and uniform are reproducible from the seed and differ across seeds") {
  bf::Rng a(77), b(77), c(78);
  const Tensor x = Tensor::randn({5, 7}, a, 0.0, 1.0, DType::f64);
  const Tensor y = Tensor::randn({5, 7}, b, 0.0, 1.0, DType::f64);
  const Tensor z = Tensor::randn({5, 7}, c, 0.0, 1.0, DType::f64);
  CHECK(x.to_f64_vector() == y.to_f64_vector());
  CHECK(x.to_f64_vector() != z.to_f64_vector());
  // The generator advances: a second draw differs from the first.
  CHECK(Tensor::randn({5, 7}, a, 0.0, 1.0, DType::f64).to_f64_vector() != x.to_f64_vector());

  bf::Rng u1(5), u2(5);
  const Tensor p = Tensor::uniform({100}, u1, -2.0, 3.0, DType::f32);
  const Tensor q = Tensor::uniform({100}, u2, -2.0, 3.0, DType::f32);
  CHECK(p.to_vector<float>() == q.to_vector<float>());
  for (double v : p.to_f64_vector()) {
    REQUIRE(v >= -2.0);
    REQUIRE(v <= 3.0);
  }
}

TEST_CASE("randn has roughly the requested mean and standard deviation over 10k samples") {
  bf::Rng rng(2024);
  struct Case {
    double mean, stddev;
    DType dtype;
  };
  for (Case c : {Case{0.0, 1.0, DType::f32}, Case{3.0, 0.5, DType::f64}, Case{-1.0, 2.0, DType::f32}}) {
    CAPTURE(c.mean);
    CAPTURE(c.stddev);
    const std::vector<double> v = Tensor::randn({100, 100}, rng, c.mean, c.stddev, c.dtype).to_f64_vector();
    double sum = 0, sq = 0;
    for (double x : v) sum += x;
    const double m = sum / v.size();
    for (double x : v) sq += (x - m) * (x - m);
    const double sd = std::sqrt(sq / v.size());
    // Standard errors: stddev/100 for the mean, stddev/141 for the std; allow 5 of them.
    CHECK(std::abs(m - c.mean) < 0.05 * c.stddev);
    CHECK(std::abs(sd - c.stddev) < 0.04 * c.stddev);
  }
  // uniform's mean is the midpoint.
  const std::vector<double> u = Tensor::uniform({10000}, rng, 2.0, 4.0, DType::f64).to_f64_vector();
  double s = 0;
  for (double x : u) s += x;
  CHECK(std::abs(s / u.size() - 3.0) < 0.03);
}

TEST_CASE("view shares storage both ways and rejects a wrong element count") {
  Tensor a = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor b = a.view({3, 2});
  CHECK(b.shape() == Shape{3, 2});
  CHECK(b.raw_data() == a.raw_data());
  b.set({2, 1}, 50.0);  // element 5
  CHECK(a.at({1, 2}) == 50.0);
  a.set({0, 1}, -10.0);  // element 1
  CHECK(b.at({0, 1}) == -10.0);
  Tensor flat = b.view({6});
  flat.set({3}, 33.0);
  CHECK(a.at({1, 0}) == 33.0);
  CHECK(a.view({1, 1, 2, 3}).at({0, 0, 1, 0}) == 33.0);
  CHECK(Tensor::full({1}, 2.0).view(Shape{}).item() == 2.0);

  CHECK_THROWS_AS(a.view({4, 2}), bf::Error);
  CHECK_THROWS_AS(a.view({7}), bf::Error);
  CHECK_THROWS_WITH(a.view({5}), doctest::Contains("[2, 3]"));
  CHECK_THROWS_WITH(a.view({5}), doctest::Contains("[5]"));
  // detach is also a view.
  Tensor d = a.detach();
  d.set({0, 0}, 8.0);
  CHECK(a.at({0, 0}) == 8.0);
  CHECK_FALSE(d.requires_grad());
}

TEST_CASE("clone is a deep copy") {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor c = a.clone();
  CHECK(c.shape() == a.shape());
  CHECK(c.dtype() == a.dtype());
  CHECK(c.raw_data() != a.raw_data());
  CHECK(c.to_f64_vector() == a.to_f64_vector());
  c.set({0, 0}, 100.0);
  CHECK(a.at({0, 0}) == 1.0);
  a.set({1, 1}, -4.0);
  CHECK(c.at({1, 1}) == 4.0);
  // A clone of a view copies only the view's elements into fresh storage.
  Tensor v = a.view({4}).clone();
  v.set({2}, 9.0);
  CHECK(a.at({1, 0}) == 3.0);
}

TEST_CASE("to(DType) converts values") {
  const Tensor f = Tensor::from_vector(std::vector<float>{1.5f, -2.25f, 3.0f}, {3});
  const Tensor d = f.to(DType::f64);
  CHECK(d.dtype() == DType::f64);
  CHECK(d.shape() == f.shape());
  CHECK(d.to_vector<double>() == std::vector<double>{1.5, -2.25, 3.0});
  // f64 -> f32 rounds to nearest float.
  const Tensor back = Tensor::from_vector(std::vector<double>{0.1}, {1}).to(DType::f32);
  CHECK(back.to_vector<float>()[0] == 0.1f);
  // float -> int truncates toward zero; int -> float is exact.
  const Tensor i = f.to(DType::i32);
  CHECK(i.dtype() == DType::i32);
  CHECK(i.to_vector<int32_t>() == std::vector<int32_t>{1, -2, 3});
  CHECK(Tensor::from_vector(std::vector<int32_t>{5, -6}, {2}).to(DType::f32).to_vector<float>() ==
        std::vector<float>{5.f, -6.f});
  // The converted tensor is independent of the source.
  Tensor d2 = f.to(DType::f64);
  d2.set({0}, 42.0);
  CHECK(f.at({0}) == 1.5);
}

TEST_CASE("element access: at, set, item and their errors") {
  Tensor t = Tensor::zeros({2, 3, 4}, DType::f64);
  t.set({1, 2, 3}, 7.5);
  t.set({0, 1, 2}, -1.0);
  CHECK(t.at({1, 2, 3}) == 7.5);
  CHECK(t.at({0, 1, 2}) == -1.0);
  CHECK(t.to_f64_vector()[1 * 12 + 2 * 4 + 3] == 7.5);  // row-major
  CHECK(t.to_f64_vector()[0 * 12 + 1 * 4 + 2] == -1.0);

  CHECK_THROWS_AS(t.at({1, 2}), bf::Error);         // too few coordinates
  CHECK_THROWS_AS(t.at({0, 0, 0, 0}), bf::Error);   // too many
  CHECK_THROWS_AS(t.at({2, 0, 0}), bf::Error);      // out of range
  CHECK_THROWS_AS(t.at({0, -1, 0}), bf::Error);     // negative
  CHECK_THROWS_AS(t.set({0, 3, 0}, 1.0), bf::Error);
  CHECK_THROWS_AS(t.item(), bf::Error);
  CHECK_THROWS_WITH(t.item(), doctest::Contains("[2, 3, 4]"));

  Tensor one = Tensor::full({1, 1}, 2.5, DType::f32);
  CHECK(one.item() == 2.5);
  Tensor ints = Tensor::zeros({3}, DType::i32);
  ints.set({1}, 9.0);
  CHECK(ints.at({1}) == 9.0);
  CHECK(ints.to_vector<int32_t>() == std::vector<int32_t>{0, 9, 0});

  // Typed data() checks the dtype.
  CHECK_THROWS_AS(t.data<float>(), bf::Error);
  CHECK(t.data<double>() != nullptr);
  // An undefined tensor is an error, not a crash.
  Tensor undefined;
  CHECK_FALSE(undefined.defined());
  CHECK_THROWS_AS(undefined.shape(), bf::Error);
}

TEST_CASE("copy_from and fill_zero") {
  Tensor a = Tensor::full({2, 2}, 3.0, DType::f32);
  Tensor b = Tensor::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  a.copy_from(b);
  CHECK(a.to_vector<float>() == std::vector<float>{1, 2, 3, 4});
  CHECK(a.raw_data() != b.raw_data());
  a.fill_zero();
  CHECK(all_equal(a.to_f64_vector(), 0.0));
  CHECK(b.at({1, 1}) == 4.0);
  CHECK_THROWS_AS(a.copy_from(Tensor::zeros({4}, DType::f32)), bf::Error);
  CHECK_THROWS_AS(a.copy_from(Tensor::zeros({2, 2}, DType::f64)), bf::Error);
}

TEST_CASE("set_requires_grad: floating tensors only; zero_grad drops the gradient slot") {
  Tensor f = Tensor::zeros({2}, DType::f32);
  CHECK_FALSE(f.requires_grad());
  f.set_requires_grad(true);
  CHECK(f.requires_grad());
  CHECK(f.is_leaf());
  CHECK_FALSE(f.grad().defined());
  Tensor ids = Tensor::zeros({2}, DType::i32);
  CHECK_THROWS_AS(ids.set_requires_grad(true), bf::Error);
  ids.set_requires_grad(false);  // turning it off is fine
  // Copies of the handle share the tensor (and its autograd slots).
  Tensor alias = f;
  CHECK(alias.same_as(f));
  CHECK(alias.requires_grad());
  CHECK_FALSE(f.clone().same_as(f));
  CHECK_FALSE(f.clone().requires_grad());
}

TEST_CASE("str() names the shape, dtype and device and shows the values") {
  const Tensor t = Tensor::from_vector(std::vector<float>{1.5f, 2, 3, 4, 5, 6}, {2, 3});
  const std::string s = t.str();
  CHECK(s.find("[2, 3]") != std::string::npos);
  CHECK(s.find("f32") != std::string::npos);
  CHECK(s.find("cpu") != std::string::npos);
  CHECK(s.find("1.5") != std::string::npos);
  CHECK(s.find("6") != std::string::npos);
  const std::string d = Tensor::zeros({4}, DType::f64).str();
  CHECK(d.find("f64") != std::string::npos);
  CHECK(d.find("[4]") != std::string::npos);
  CHECK(Tensor::zeros({3}, DType::i32).str().find("i32") != std::string::npos);
  std::ostringstream out;
  out << t;
  CHECK(out.str() == s);
  // Long dimensions are elided; the first and last values still show.
  std::vector<double> many(100);
  for (int i = 0; i < 100; ++i) many[i] = 1000 + i;
  const std::string long_str = Tensor::from_vector(many, {100}).str();
  CHECK(long_str.find("...") != std::string::npos);
  CHECK(long_str.find("1000") != std::string::npos);
  CHECK(long_str.find("1099") != std::string::npos);
  CHECK(long_str.find("1050") == std::string::npos);
  // requires_grad is shown.
  Tensor g = Tensor::zeros({1}, DType::f64);
  g.set_requires_grad(true);
  CHECK(g.str().find("requires_grad") != std::string::npos);
}

// Regression (fixed): core/tensor.cpp:200-204 (Tensor::str's elision): with max_per_dim < 2, `i == max_per_dim / 2` holds at
// i == 0 and `i = n - max_per_dim / 2` sets i = n, so `values[base + i]` reads one past the row (past the end
// of the vector for the last row): an out-of-bounds read (ASan: heap-buffer-overflow). Repro:
// Tensor::from_vector(std::vector<double>{1, 2, 3}, {3}).str(1). Expected: "[..., 3]"-style output or a
// clamp of max_per_dim to at least 2.
TEST_CASE("str(max_per_dim) with a tiny limit stays in bounds") {
  auto body = [](const Tensor& t, int max_per_dim) {
    const std::string s = t.str(max_per_dim);
    return s.substr(s.find('\n') + 1);  // the values, without the "Tensor[3] f64 cpu" header
  };
  const std::string one = body(Tensor::from_vector(std::vector<double>{1, 2, 3}, {3}), 1);
  CHECK(one.find("...") != std::string::npos);
  CHECK(one.find("3]") != std::string::npos);  // the last element, not whatever lies past it
  // The limit is clamped to 2, so a 2-element row prints whole.
  const std::string zero = body(Tensor::from_vector(std::vector<double>{1, 2}, {2}), 0);
  CHECK(zero == "[1, 2]");
}
