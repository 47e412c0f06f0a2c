#include "autograd/gradcheck_cases.h"

#include "autograd/ops.h"

namespace bf {
namespace {

Tensor param(const Shape& shape, Rng& rng, Device device, double lo = -1.0, double hi = 1.0) {
  Tensor t = Tensor::uniform(shape, rng, lo, hi, DType::f64, device);
  t.set_requires_grad(true);
  return t;
}

// Values with |x| in [margin, 1] and a random sign: keeps finite differences away from the kink at 0.
Tensor away_from_zero(const Shape& shape, Rng& rng, Device device, double margin = 0.1) {
  std::vector<double> v(shape.numel());
  for (double& x : v) x = (rng.uniform() < 0.5 ? -1 : 1) * rng.uniform(margin, 1.0);
  Tensor t = Tensor::from_vector(v, shape, device);
  t.set_requires_grad(true);
  return t;
}

Tensor ids(const std::vector<int32_t>& values, Device device) {
  return Tensor::from_vector(values, Shape::from(std::vector<int64_t>{int64_t(values.size())}), device);
}

using In = const std::vector<Tensor>&;

std::vector<GradcheckCase> build_cases() {
  std::vector<GradcheckCase> c;
  auto add_case = [&](std::string op, std::string name, std::string shapes, auto make, GradcheckFn fn,
                      GradcheckOptions opt = {}) {
    c.push_back({std::move(op), std::move(name), std::move(shapes), make, std::move(fn), opt});
  };
  // Matrix products, each transpose combination, and the batched (per-head) form.
  for (int flags = 0; flags < 4; ++flags) {
    const bool ta = flags & 1, tb = flags & 2;
    std::string name = std::string("matmul") + (ta || tb ? "_" : "") + (ta ? "ta" : "") + (tb ? "tb" : "");
    add_case("matmul", name, std::string(ta ? "[4,3]^T" : "[3,4]") + (tb ? " x [5,4]^T" : " x [4,5]"),
             [ta, tb](Rng& r, Device d) {
               return std::vector<Tensor>{param(ta ? Shape{4, 3} : Shape{3, 4}, r, d),
                                          param(tb ? Shape{5, 4} : Shape{4, 5}, r, d)};
             },
             [ta, tb](In x) { return matmul(x[0], x[1], ta, tb); });
  }
  add_case("matmul", "matmul_batched", "[2,2,3,4] x [2,2,5,4]^T",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 3, 4}, r, d), param({2, 2, 5, 4}, r, d)}; },
           [](In x) { return matmul(x[0], x[1], false, true); });
  add_case("linear", "linear", "[2,3,4] W[5,4] b[5]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 4}, r, d), param({5, 4}, r, d), param({5}, r, d)}; },
           [](In x) { return linear(x[0], x[1], x[2]); });
  add_case("linear", "linear_no_bias", "[6,4] W[3,4]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({6, 4}, r, d), param({3, 4}, r, d)}; },
           [](In x) { return linear(x[0], x[1]); });
  // Elementwise.
  auto two = [](Rng& r, Device d) { return std::vector<Tensor>{param({3, 4}, r, d), param({3, 4}, r, d)}; };
  add_case("add", "add", "[3,4] + [3,4]", two, [](In x) { return add(x[0], x[1]); });
  add_case("sub", "sub", "[3,4] - [3,4]", two, [](In x) { return sub(x[0], x[1]); });
  add_case("mul", "mul", "[3,4] * [3,4]", two, [](In x) { return mul(x[0], x[1]); });
  add_case("mul", "mul_same_input", "x * x (a tensor used twice)",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({3, 4}, r, d)}; },
           [](In x) { return mul(x[0], x[0]); });
  add_case("scale", "scale", "0.7 * [3,4]", [](Rng& r, Device d) { return std::vector<Tensor>{param({3, 4}, r, d)}; },
           [](In x) { return scale(x[0], 0.7); });
  add_case("scale_by", "scale_by", "g[1] * [3,4]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({3, 4}, r, d), param({1}, r, d)}; },
           [](In x) { return scale_by(x[0], x[1]); });
  add_case("add_bias", "add_bias", "[2,3,4] + b[4]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 4}, r, d), param({4}, r, d)}; },
           [](In x) { return add_bias(x[0], x[1]); });
  // Activations (inputs kept away from the kink at 0).
  auto kinked = [](Rng& r, Device d) { return std::vector<Tensor>{away_from_zero({3, 5}, r, d)}; };
  add_case("relu", "relu", "[3,5], |x| >= 0.1", kinked, [](In x) { return relu(x[0]); });
  add_case("leaky_relu", "leaky_relu", "[3,5], |x| >= 0.1, slope 0.2", kinked, [](In x) { return leaky_relu(x[0], 0.2); });
  add_case("gelu", "gelu", "[3,5]", [](Rng& r, Device d) { return std::vector<Tensor>{param({3, 5}, r, d, -3, 3)}; },
           [](In x) { return gelu(x[0]); });
  // Reductions and views.
  auto cube = [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 4}, r, d)}; };
  add_case("sum", "sum", "[2,3,4] over axis 1", cube, [](In x) { return sum(x[0], 1); });
  add_case("mean", "mean", "[2,3,4] over axis -1", cube, [](In x) { return mean(x[0], -1); });
  add_case("sum_all", "sum_all", "[2,3,4]", cube, [](In x) { return sum_all(x[0]); });
  add_case("reshape", "reshape", "[2,3,4] -> [6,4]", cube, [](In x) { return mul(reshape(x[0], {6, 4}), reshape(x[0], {6, 4})); });
  // Softmax and loss.
  add_case("softmax", "softmax", "[2,3,5]", [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 5}, r, d, -2, 2)}; },
           [](In x) { return softmax(x[0]); });
  add_case("softmax", "softmax_causal", "[2,2,4,4] causal",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 4, 4}, r, d, -2, 2)}; },
           [](In x) { return softmax(x[0], true); });
  add_case("cross_entropy", "cross_entropy", "logits [5,7], targets [5] (one ignored)",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({5, 7}, r, d, -2, 2), ids({3, 0, -1, 6, 3}, d)}; },
           [](In x) { return cross_entropy(x[0], x[1], -1); });
  // Normalisation.
  add_case("layer_norm", "layer_norm", "[2,3,6] w[6] b[6]",
           [](Rng& r, Device d) {
             return std::vector<Tensor>{param({2, 3, 6}, r, d, -2, 2), param({6}, r, d, 0.5, 1.5), param({6}, r, d)};
           },
           [](In x) { return layer_norm(x[0], x[1], x[2], 1e-5); });
  add_case("rms_norm", "rms_norm", "[2,3,6] w[6]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 6}, r, d, -2, 2), param({6}, r, d, 0.5, 1.5)}; },
           [](In x) { return rms_norm(x[0], x[1], 1e-5); });
  // Embedding and heads.
  add_case("embedding", "embedding", "table [6,4], ids [2,3] (repeats)",
           [](Rng& r, Device d) {
             return std::vector<Tensor>{param({6, 4}, r, d),
                                        Tensor::from_vector<int32_t>({1, 5, 1, 0, 5, 5}, Shape{2, 3}, d)};
           },
           [](In x) { return embedding(x[0], x[1]); });
  add_case("split_heads", "split_heads", "[2,3,6] -> [2,2,3,3]", [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 3, 6}, r, d)}; },
           [](In x) { return split_heads(x[0], 2); });
  add_case("merge_heads", "merge_heads", "[2,2,3,3] -> [2,3,6]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 3, 3}, r, d)}; },
           [](In x) { return merge_heads(x[0]); });
  // Shaped attention (Eq. 5) and its skipinit form (Eq. 4); C is a constant input.
  add_case("attention_mix", "attention_mix", "A [2,2,3,3], alpha/beta/gamma [2], C [3,3]",
           [](Rng& r, Device d) {
             Tensor centring = Tensor::uniform({3, 3}, r, 0, 1, DType::f64, d);
             return std::vector<Tensor>{param({2, 2, 3, 3}, r, d), param({2}, r, d), param({2}, r, d),
                                        param({2}, r, d), centring};
           },
           [](In x) { return attention_mix(x[0], x[1], x[2], x[3], x[4]); });
  add_case("attention_mix", "attention_mix_skipinit", "A [2,2,3,3], alpha/beta [2]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 3, 3}, r, d), param({2}, r, d), param({2}, r, d)}; },
           [](In x) { return attention_mix(x[0], x[1], x[2]); });
  // The fused scale + causal softmax (+ mix): shaped (Eq. 5), skipinit (Eq. 4) and softmax attention.
  add_case("causal_attention_probs", "causal_attention_probs", "scores [2,2,3,3], s 0.7, alpha/beta/gamma [2], C [3,3]",
           [](Rng& r, Device d) {
             Tensor centring = Tensor::uniform({3, 3}, r, 0, 1, DType::f64, d);
             return std::vector<Tensor>{param({2, 2, 3, 3}, r, d), param({2}, r, d), param({2}, r, d),
                                        param({2}, r, d), centring};
           },
           [](In x) { return causal_attention_probs(x[0], 0.7, x[1], x[2], x[3], x[4]); });
  add_case("causal_attention_probs", "causal_attention_probs_skipinit", "scores [2,2,3,3], s 0.7, alpha/beta [2]",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 3, 3}, r, d), param({2}, r, d), param({2}, r, d)}; },
           [](In x) { return causal_attention_probs(x[0], 0.7, x[1], x[2]); });
  add_case("causal_attention_probs", "causal_attention_probs_plain", "scores [2,2,4,4], s 0.7",
           [](Rng& r, Device d) { return std::vector<Tensor>{param({2, 2, 4, 4}, r, d)}; },
           [](In x) { return causal_attention_probs(x[0], 0.7); });
  return c;
}

}  // namespace

const std::vector<GradcheckCase>& gradcheck_cases() {
  static const std::vector<GradcheckCase> cases = build_cases();
  return cases;
}

}  // namespace bf
