// Wrong shapes and dtypes throw bf::Error whose message names the op and every shape involved; a failed op
// records nothing.
#include <doctest/doctest.h>

#include <string>

#include "autograd/ops.h"

using bf::DType;
using bf::Shape;
using bf::Tensor;

namespace {

// The message of the bf::Error that fn throws ("" with a failed CHECK when it does not throw).
template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const bf::Error& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL_CHECK("threw a non-bf::Error exception: ", e.what());
    return "";
  }
  FAIL_CHECK("did not throw");
  return "";
}

void check_mentions(const std::string& message, std::initializer_list<const char*> parts) {
  INFO("message: ", message);
  for (const char* p : parts) {
    CAPTURE(p);
    CHECK(message.find(p) != std::string::npos);
  }
}

Tensor f32(const Shape& s) { return Tensor::zeros(s, DType::f32).set_requires_grad(true); }

struct FreshTape {
  FreshTape() { bf::clear_tape(); }
  ~FreshTape() { bf::clear_tape(); }
};

}  // namespace

TEST_CASE("matmul shape errors name the op and both shapes") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::matmul(f32({2, 3}), f32({4, 5})); }), {"matmul", "[2, 3]", "[4, 5]"});
  check_mentions(error_of([] { bf::matmul(f32({2, 3}), f32({2, 3}), false, false); }), {"matmul", "[2, 3]"});
  // With transpose flags: [3,2]^T x [3,5] is fine, [2,3]^T x [3,5] is not.
  CHECK(bf::matmul(f32({3, 2}), f32({3, 5}), true, false).shape() == Shape{2, 5});
  check_mentions(error_of([] { bf::matmul(f32({2, 3}), f32({3, 5}), true, false); }), {"matmul", "[2, 3]", "[3, 5]"});
  check_mentions(error_of([] { bf::matmul(f32({2, 3, 4}), f32({4, 5})); }), {"matmul", "[2, 3, 4]", "[4, 5]"});
  check_mentions(error_of([] { bf::matmul(f32({2, 3, 4}), f32({3, 4, 5})); }), {"matmul", "[2, 3, 4]", "[3, 4, 5]"});
  check_mentions(error_of([] { bf::matmul(f32({4}), f32({4})); }), {"matmul", "[4]"});
  check_mentions(error_of([] { bf::matmul(f32({2, 3}), Tensor::zeros({3, 2}, DType::f64)); }),
                 {"matmul", "f32", "f64"});
  CHECK(bf::tape_entries().size() == 1);  // only the one successful product was recorded
}

TEST_CASE("linear shape errors") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::linear(f32({2, 3}), f32({4, 5})); }), {"linear", "[2, 3]", "[4, 5]"});
  check_mentions(error_of([] { bf::linear(f32({2, 4}), f32({3, 4}), f32({4})); }), {"linear", "[4]", "[3, 4]"});
  check_mentions(error_of([] { bf::linear(f32({2, 4}), f32({3, 4, 1})); }), {"linear", "[3, 4, 1]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("elementwise shape errors") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::add(f32({2, 3}), f32({3, 2})); }), {"add", "[2, 3]", "[3, 2]"});
  check_mentions(error_of([] { bf::sub(f32({2, 3}), f32({6})); }), {"sub", "[2, 3]", "[6]"});
  check_mentions(error_of([] { bf::mul(f32({1, 3}), f32({3, 1})); }), {"mul", "[1, 3]", "[3, 1]"});
  check_mentions(error_of([] { bf::add(f32({2}), Tensor::zeros({2}, DType::f64)); }), {"add", "f32", "f64"});
  check_mentions(error_of([] { bf::add_bias(f32({2, 3}), f32({4})); }), {"add_bias", "[2, 3]", "[4]"});
  check_mentions(error_of([] { bf::add_bias(f32({2, 3}), f32({1, 3})); }), {"add_bias", "[2, 3]", "[1, 3]"});
  check_mentions(error_of([] { bf::scale_by(f32({2, 3}), f32({2})); }), {"scale_by", "[2]", "[2, 3]"});
  check_mentions(error_of([] { bf::relu(Tensor::zeros({2}, DType::i32)); }), {"relu", "i32"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("norm shape errors") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::layer_norm(f32({2, 3}), f32({4}), f32({3})); }), {"layer_norm", "[2, 3]", "[4]"});
  check_mentions(error_of([] { bf::layer_norm(f32({2, 3}), f32({3}), f32({5})); }), {"layer_norm", "[2, 3]", "[5]"});
  check_mentions(error_of([] { bf::layer_norm(f32({2, 3}), f32({3}), Tensor()); }), {"layer_norm", "bias"});
  check_mentions(error_of([] { bf::rms_norm(f32({2, 3}), f32({2})); }), {"rms_norm", "[2, 3]", "[2]"});
  check_mentions(error_of([] { bf::rms_norm(f32({2, 3}), f32({3, 1})); }), {"rms_norm", "[2, 3]", "[3, 1]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("softmax with a causal mask needs a square last pair of axes") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::softmax(f32({2, 3}), true); }), {"softmax", "[2, 3]"});
  check_mentions(error_of([] { bf::softmax(f32({2, 4, 3}), true); }), {"softmax", "[2, 4, 3]"});
  check_mentions(error_of([] { bf::softmax(f32({4}), true); }), {"softmax", "[4]"});
  CHECK(bf::tape_entries().empty());
  CHECK(bf::softmax(f32({2, 3})).shape() == Shape{2, 3});  // fine without the mask
}

TEST_CASE("cross_entropy: target out of the vocabulary, wrong dtype, wrong shape") {
  FreshTape fresh;
  const Tensor logits = f32({3, 5});
  check_mentions(error_of([&] { bf::cross_entropy(logits, Tensor::from_vector(std::vector<int32_t>{0, 5, 1}, {3})); }),
                 {"cross_entropy", "5"});
  check_mentions(error_of([&] { bf::cross_entropy(logits, Tensor::from_vector(std::vector<int32_t>{0, -2, 1}, {3})); }),
                 {"cross_entropy", "-2"});
  // -1 is in range only because it is the ignore_index; with another ignore_index it is an error.
  CHECK_NOTHROW(bf::cross_entropy(logits, Tensor::from_vector(std::vector<int32_t>{0, -1, 1}, {3})));
  bf::clear_tape();
  check_mentions(error_of([&] { bf::cross_entropy(logits, Tensor::from_vector(std::vector<int32_t>{0, -1, 1}, {3}), 4); }),
                 {"cross_entropy", "-1"});
  check_mentions(error_of([&] { bf::cross_entropy(logits, Tensor::zeros({3}, DType::f32)); }),
                 {"cross_entropy", "i32", "f32", "[3, 5]"});
  check_mentions(error_of([&] { bf::cross_entropy(logits, Tensor::zeros({4}, DType::i32)); }),
                 {"cross_entropy", "[4]", "[3, 5]"});
  check_mentions(error_of([&] { bf::cross_entropy(f32({2, 3, 5}), Tensor::zeros({2}, DType::i32)); }),
                 {"cross_entropy", "[2, 3, 5]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("embedding: id out of range, wrong id dtype, wrong table rank") {
  FreshTape fresh;
  const Tensor table = f32({6, 4});
  check_mentions(error_of([&] { bf::embedding(table, Tensor::from_vector(std::vector<int32_t>{0, 6}, {2})); }),
                 {"embedding", "6"});
  check_mentions(error_of([&] { bf::embedding(table, Tensor::from_vector(std::vector<int32_t>{-1}, {1})); }),
                 {"embedding", "-1"});
  check_mentions(error_of([&] { bf::embedding(table, Tensor::zeros({2}, DType::f32)); }), {"embedding", "i32", "f32"});
  check_mentions(error_of([&] { bf::embedding(f32({6, 4, 1}), Tensor::zeros({2}, DType::i32)); }),
                 {"embedding", "[6, 4, 1]"});
  check_mentions(error_of([&] { bf::embedding(table, Tensor::zeros({1, 1, 1, 1}, DType::i32)); }),
                 {"embedding", "[1, 1, 1, 1]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("split_heads and merge_heads shape errors") {
  FreshTape fresh;
  check_mentions(error_of([] { bf::split_heads(f32({2, 3, 5}), 2); }), {"split_heads", "[2, 3, 5]", "2"});
  check_mentions(error_of([] { bf::split_heads(f32({2, 6}), 2); }), {"split_heads", "[2, 6]"});
  check_mentions(error_of([] { bf::split_heads(f32({2, 3, 6}), 0); }), {"split_heads", "[2, 3, 6]"});
  check_mentions(error_of([] { bf::merge_heads(f32({2, 3, 6})); }), {"merge_heads", "[2, 3, 6]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("reductions reject bad axes and 0-D inputs") {
  FreshTape fresh;
  CHECK_THROWS_AS(bf::sum(f32({2, 3}), 2), bf::Error);
  CHECK_THROWS_AS(bf::mean(f32({2, 3}), -3), bf::Error);
  check_mentions(error_of([] { bf::sum(f32(Shape{}), 0); }), {"sum"});
  check_mentions(error_of([] { bf::reshape(f32({2, 3}), {4}); }), {"reshape", "[2, 3]", "[4]"});
  CHECK(bf::tape_entries().empty());
}

TEST_CASE("attention_mix shape errors") {
  FreshTape fresh;
  const Tensor a = f32({2, 3, 4, 4}), g3 = f32({3}), c = f32({4, 4});
  check_mentions(error_of([&] { bf::attention_mix(f32({2, 3, 4, 5}), g3, g3); }), {"attention_mix", "[2, 3, 4, 5]"});
  check_mentions(error_of([&] { bf::attention_mix(a, f32({2}), g3); }), {"attention_mix", "alpha", "[2]", "[2, 3, 4, 4]"});
  check_mentions(error_of([&] { bf::attention_mix(a, g3, f32({4})); }), {"attention_mix", "beta", "[4]"});
  check_mentions(error_of([&] { bf::attention_mix(a, g3, g3, g3, f32({3, 3})); }), {"attention_mix", "[3, 3]"});
  check_mentions(error_of([&] { bf::attention_mix(a, g3, g3, g3, Tensor()); }), {"attention_mix", "gamma"});
  CHECK(bf::tape_entries().empty());
  CHECK(bf::attention_mix(a, g3, g3, g3, c).shape() == a.shape());
}
