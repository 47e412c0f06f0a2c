// Every entry of the kernel table, CUDA against CPU, on random inputs, in f32 and f64 (parity.h: f64 to
// 1e-12; f32 tolerances stated per test below as {rtol, atol relative to the output's scale}). Sizes are
// chosen to cover several blocks, ragged tails (not multiples of 32 or 256), and the multi-chunk paths of
// the deterministic reductions. Backward kernels start from random pre-filled gradients, so accumulation
// (+=) is checked, not just the values.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "backends/naive.h"
#include "cuda/parity.h"
#include "cuda/softmax_cases.h"

using bf::test::run_parity;
using bf::test::Side;
using Outputs = std::vector<std::vector<double>>;

namespace {

template <class T>
std::vector<T> rand_vec(size_t n, bf::Rng& rng, double lo = -1, double hi = 1) {
  return naive::random_vec<T>(n, rng, lo, hi);
}

}  // namespace

TEST_CASE_TEMPLATE("every entry of the CUDA table is filled, the optional families left null", T, float, double) {
  const bf::Kernels<T>& k = bf::cuda_kernels<T>();
#define BF_FILLED(name, params) CHECK_MESSAGE(static_cast<bool>(k.name != nullptr), #name " is null");
#define BF_LEFT_NULL(name, params) CHECK_MESSAGE(static_cast<bool>(k.name == nullptr), #name " is filled");
  BF_KERNEL_FAMILIES(BF_KERNELS_OF_FAMILY, BF_FILLED)
  BF_OPTIONAL_KERNEL_FAMILIES(BF_KERNELS_OF_FAMILY, BF_LEFT_NULL)  // the ops then run the unfused kernels
#undef BF_FILLED
#undef BF_LEFT_NULL
}

TEST_CASE_TEMPLATE("gemm and gemm_batched, every transpose combination", T, float, double) {
  struct Case {
    int64_t batch, m, n, k;
  };
  // f32 {1e-5, 1e-5}: sums of k <= 300 products of values in [-1, 1], blocked differently by cuBLAS.
  // k = 0 is C = beta C (the CUDA side does it with its own scale/fill kernels).
  for (Case s : {Case{1, 1, 1, 1}, Case{1, 37, 29, 300}, Case{1, 256, 96, 64}, Case{7, 33, 17, 40}, Case{2, 5, 6, 0},
                 Case{1, 4, 3, 0}})
    for (int flags = 0; flags < 4; ++flags) {
      const bool ta = flags & 1, tb = flags & 2;
      CAPTURE(s.batch);
      CAPTURE(s.m);
      CAPTURE(s.k);
      CAPTURE(flags);
      bf::Rng rng(100 + flags);
      const auto a = rand_vec<T>(s.batch * s.m * s.k, rng), b = rand_vec<T>(s.batch * s.k * s.n, rng);
      const auto c0 = rand_vec<T>(s.batch * s.m * s.n, rng);
      run_parity<T>("gemm", [&](Side<T>& d) {
        T* c = d.put(c0);
        T* c2 = d.put(c0);
        T* cz = d.put(c0);
        if (s.batch == 1) d.k.gemm(ta, tb, s.m, s.n, s.k, T(0.7), d.put(a), d.put(b), T(1.3), c);
        d.k.gemm_batched(s.batch, ta, tb, s.m, s.n, s.k, T(-1.1), d.put(a), d.put(b), T(0.4), c2);
        d.k.gemm_batched(s.batch, ta, tb, s.m, s.n, s.k, T(1), d.put(a), d.put(b), T(0), cz);  // beta 0 overwrites
        return Outputs{d.get(c), d.get(c2), d.get(cz)};
      }, {1e-5, 1e-5});
    }
}

TEST_CASE_TEMPLATE("elementwise kernels and dot_acc", T, float, double) {
  for (int64_t n : {1, 31, 1000, 100003}) {
    CAPTURE(n);
    bf::Rng rng(200);
    const auto a = rand_vec<T>(n, rng), b = rand_vec<T>(n, rng), acc0 = rand_vec<T>(n, rng);
    const std::vector<T> gain = {T(-0.37)}, dot0 = {T(0.25)};
    // f32 {1e-6, 1e-7}: one or two roundings per element (the GPU may fuse a * b + c into one FMA);
    // dot_acc sums in double on both sides.
    run_parity<T>("elementwise", [&](Side<T>& d) {
      T *pa = d.put(a), *pb = d.put(b), *g = d.put(gain);
      T *o_add = d.put(acc0), *o_sub = d.put(acc0), *o_mul = d.put(acc0), *o_scale = d.put(acc0);
      T *o_axpy = d.put(acc0), *o_mul_acc = d.put(acc0), *o_sb = d.put(acc0), *o_sba = d.put(acc0);
      T *o_fill = d.put(acc0), *o_dot = d.put(dot0), *in_place = d.put(a);
      d.k.add(n, pa, pb, o_add);
      d.k.sub(n, pa, pb, o_sub);
      d.k.mul(n, pa, pb, o_mul);
      d.k.scale(n, T(1.7), pa, o_scale);
      d.k.axpy(n, T(-0.3), pa, o_axpy);
      d.k.mul_acc(n, pa, pb, o_mul_acc);
      d.k.scale_by(n, g, pa, o_sb);
      d.k.scale_by_acc(n, g, pa, o_sba);
      d.k.fill(n, T(2.5), o_fill);
      d.k.dot_acc(n, pa, pb, o_dot);
      d.k.add(n, in_place, pb, in_place);  // out == an input is allowed
      return Outputs{d.get(o_add), d.get(o_sub), d.get(o_mul), d.get(o_scale), d.get(o_axpy), d.get(o_mul_acc),
                     d.get(o_sb), d.get(o_sba), d.get(o_fill), d.get(o_dot), d.get(in_place)};
    }, {1e-6, 1e-7});
  }
}

TEST_CASE_TEMPLATE("activations and their backward", T, float, double) {
  const int64_t n = 70001;
  bf::Rng rng(300);
  const auto x = rand_vec<T>(n, rng, -4, 4), dy = rand_vec<T>(n, rng), dx0 = rand_vec<T>(n, rng);
  // f32 {2e-6, 1e-6}: tanhf (CUDA) against Eigen's vectorised tanh, a few ulp apart.
  run_parity<T>("activations", [&](Side<T>& d) {
    T *px = d.put(x), *pdy = d.put(dy);
    T *y1 = d.put(dx0), *y2 = d.put(dx0), *y3 = d.put(dx0), *d1 = d.put(dx0), *d2 = d.put(dx0), *d3 = d.put(dx0);
    d.k.relu(n, px, y1);
    d.k.leaky_relu(n, T(0.2), px, y2);
    d.k.gelu(n, px, y3);
    d.k.relu_backward(n, px, pdy, d1);
    d.k.leaky_relu_backward(n, T(0.2), px, pdy, d2);
    d.k.gelu_backward(n, px, pdy, d3);
    return Outputs{d.get(y1), d.get(y2), d.get(y3), d.get(d1), d.get(d2), d.get(d3)};
  }, {2e-6, 1e-6});
}

TEST_CASE_TEMPLATE("reduce kernels: add_bias, sum_rows_acc, sum_axis, broadcast_axis_acc", T, float, double) {
  struct Case {
    int64_t rows, cols;
  };
  // f32 {1e-5, 1e-5}: column sums over up to 4099 rows (the CPU sums sequentially in f32, the GPU in
  // double in chunks), sum_axis over len <= 300 (sequential f32 on the CPU, double on the GPU).
  for (Case s : {Case{1, 1}, Case{3, 70}, Case{4099, 300}, Case{64, 1000}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    bf::Rng rng(400);
    const auto x = rand_vec<T>(s.rows * s.cols, rng), bias = rand_vec<T>(s.cols, rng);
    const auto acc0 = rand_vec<T>(s.cols, rng), dx0 = rand_vec<T>(s.rows * s.cols, rng);
    // [outer, len, inner] views of the same data: (rows, cols) split as (rows, cols/inner, inner).
    const int64_t inner = s.cols % 10 == 0 ? 10 : 1, len = s.cols / inner, outer = s.rows;
    const auto dy = rand_vec<T>(outer * inner, rng);
    run_parity<T>("rows", [&](Side<T>& d) {
      T *px = d.put(x), *pb = d.put(bias), *y = d.put(dx0), *acc = d.put(acc0);
      T *sums = d.put(std::vector<T>(outer * inner, T(-9))), *dx = d.put(dx0);
      d.k.add_bias(s.rows, s.cols, px, pb, y);
      d.k.sum_rows_acc(s.rows, s.cols, px, acc);
      d.k.sum_axis(outer, len, inner, px, sums);
      d.k.broadcast_axis_acc(outer, len, inner, T(0.5), d.put(dy), dx);
      return Outputs{d.get(y), d.get(acc), d.get(sums), d.get(dx)};
    }, {1e-5, 1e-5});
  }
}

TEST_CASE_TEMPLATE("sum_axis with few outputs and a long axis (the chunked two-pass path)", T, float, double) {
  struct Case {
    int64_t outer, len, inner;
  };
  // One output over 3000 terms (a sum of everything: 64 chunks), 21 outputs (64 chunks), 640 outputs (3
  // chunks), 2^16 outputs (one chunk). f32 {1e-5, 1e-5}: the CPU adds the len terms sequentially in f32, an
  // error of about u len / sqrt(6) = 7e-5 (one standard deviation, u = 2^-24) on sums of scale
  // sqrt(len / 3) = 32, where the tolerance allows 6e-4; the GPU adds in double.
  for (Case s : {Case{1, 3000, 1}, Case{3, 3000, 7}, Case{64, 100, 10}, Case{1 << 16, 3, 1}}) {
    CAPTURE(s.outer);
    CAPTURE(s.len);
    CAPTURE(s.inner);
    bf::Rng rng(450);
    const auto x = rand_vec<T>(s.outer * s.len * s.inner, rng);
    run_parity<T>("sum_axis", [&](Side<T>& d) {
      T* out = d.put(std::vector<T>(s.outer * s.inner, T(-9)));
      d.k.sum_axis(s.outer, s.len, s.inner, d.put(x), out);
      return Outputs{d.get(out)};
    }, {1e-5, 1e-5});
  }
}

TEST_CASE_TEMPLATE("softmax (plain and causal) and its backward", T, float, double) {
  // f32: kSoftmaxForwardF32 {1e-5, 1e-7} for y, kSoftmaxBackwardF32 {1e-5, 1e-6} for dx (softmax_cases.h;
  // derived, and checked against an emulation of the kernels' arithmetic, in test_softmax_premise.cpp).
  // The backward runs on each device's own y, as in training.
  for (const bf::test::SoftmaxCase& s : bf::test::softmax_cases()) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    CAPTURE(s.causal);
    const auto in = bf::test::softmax_inputs<T>(s);
    run_parity<T>("softmax", [&](Side<T>& d) {
      T* y = d.put(std::vector<T>(in.x.size(), T(-1)));
      d.k.softmax(s.rows, s.cols, s.causal, d.put(in.x), y);
      return Outputs{d.get(y)};
    }, bf::test::kSoftmaxForwardF32);
    run_parity<T>("softmax_backward", [&](Side<T>& d) {
      T *y = d.put(std::vector<T>(in.x.size(), T(-1))), *dx = d.put(in.dx0);
      d.k.softmax(s.rows, s.cols, s.causal, d.put(in.x), y);
      d.k.softmax_backward(s.rows, s.cols, y, d.put(in.dy), dx);
      return Outputs{d.get(dx)};
    }, bf::test::kSoftmaxBackwardF32);
  }
}

TEST_CASE_TEMPLATE("cross_entropy and its backward (ignored rows, all rows ignored)", T, float, double) {
  struct Case {
    int64_t rows, cols;
    int32_t ignore;
    bool all_ignored;
  };
  // f32 {1e-5, 1e-6}: log-sum-exp over <= 256 columns (expf/logf vs Eigen), the loss mean in double.
  for (Case s : {Case{6, 9, -1, false}, Case{4096, 256, -1, false}, Case{301, 70, 5, false}, Case{8, 4, -1, true}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    bf::Rng rng(600);
    auto x = rand_vec<T>(s.rows * s.cols, rng, -4, 4);
    x[2] = T(50);
    std::vector<int32_t> targets(s.rows);
    for (int64_t r = 0; r < s.rows; ++r)
      targets[r] = s.all_ignored || r % 7 == 3 ? s.ignore : static_cast<int32_t>(rng.below(s.cols));
    const auto d0 = rand_vec<T>(x.size(), rng);
    const std::vector<T> dloss = {T(1.7)};
    run_parity<T>("cross_entropy", [&](Side<T>& d) {
      T *px = d.put(x), *lse = d.put(std::vector<T>(s.rows, T(-7))), *loss = d.put({T(-7)}), *dl = d.put(d0);
      int32_t* t = d.ids(targets);
      d.k.cross_entropy(s.rows, s.cols, px, t, s.ignore, lse, loss);
      d.k.cross_entropy_backward(s.rows, s.cols, px, t, s.ignore, lse, d.put(dloss), dl);
      return Outputs{d.get(lse), d.get(loss), d.get(dl)};
    }, {1e-5, 1e-6});
  }
}

TEST_CASE_TEMPLATE("layer_norm and rms_norm, forward and backward (every gradient subset)", T, float, double) {
  struct Case {
    int64_t rows, cols;
  };
  // f32 {1e-4, 2e-5}: rstd amplifies the rounding of the row statistics; dw/db are column sums over up to
  // 4096 rows (sequential f32 on the CPU, chunked double on the GPU).
  for (Case s : {Case{1, 1}, Case{3, 6}, Case{4096, 96}, Case{257, 768}}) {
    CAPTURE(s.rows);
    CAPTURE(s.cols);
    bf::Rng rng(700);
    const auto x = rand_vec<T>(s.rows * s.cols, rng, -2, 2), w = rand_vec<T>(s.cols, rng, 0.5, 1.5);
    const auto b = rand_vec<T>(s.cols, rng), dy = rand_vec<T>(x.size(), rng);
    const auto dx0 = rand_vec<T>(x.size(), rng), dw0 = rand_vec<T>(s.cols, rng), db0 = rand_vec<T>(s.cols, rng);
    const T eps = T(1e-5);
    for (int wanted = 1; wanted < 8; ++wanted) {  // bit 0: dx, bit 1: dw, bit 2: db
      CAPTURE(wanted);
      run_parity<T>("norms", [&](Side<T>& d) {
        T *px = d.put(x), *pw = d.put(w), *pb = d.put(b), *pdy = d.put(dy);
        T *y = d.put(dx0), *mean = d.put(std::vector<T>(s.rows)), *rstd = d.put(std::vector<T>(s.rows));
        T *y2 = d.put(dx0), *rms = d.put(std::vector<T>(s.rows));
        T *dx = d.put(dx0), *dw = d.put(dw0), *db = d.put(db0), *dx2 = d.put(dx0), *dw2 = d.put(dw0);
        d.k.layer_norm(s.rows, s.cols, eps, px, pw, pb, y, mean, rstd);
        d.k.layer_norm_backward(s.rows, s.cols, px, pw, mean, rstd, pdy, wanted & 1 ? dx : nullptr,
                               wanted & 2 ? dw : nullptr, wanted & 4 ? db : nullptr);
        d.k.rms_norm(s.rows, s.cols, eps, px, pw, y2, rms);
        d.k.rms_norm_backward(s.rows, s.cols, eps, px, pw, rms, pdy, wanted & 1 ? dx2 : nullptr, wanted & 2 ? dw2 : nullptr);
        return Outputs{d.get(y), d.get(mean), d.get(rstd), d.get(y2), d.get(rms),
                       d.get(dx), d.get(dw), d.get(db), d.get(dx2), d.get(dw2)};
      }, {1e-4, 2e-5});
    }
  }
}

TEST_CASE_TEMPLATE("embedding gather and scatter-add: bitwise equal to the CPU", T, float, double) {
  struct Case {
    int64_t vocab, dim, n_ids;
  };
  // Exact in both dtypes: the GPU adds the same values to each table row in the same (index) order.
  for (Case s : {Case{5, 3, 8}, Case{256, 768, 4096}, Case{128, 70, 1000}, Case{11, 300, 1}}) {
    CAPTURE(s.vocab);
    CAPTURE(s.dim);
    CAPTURE(s.n_ids);
    bf::Rng rng(800);
    const auto table = rand_vec<T>(s.vocab * s.dim, rng), dout = rand_vec<T>(s.n_ids * s.dim, rng);
    const auto dtable0 = rand_vec<T>(table.size(), rng);
    std::vector<int32_t> ids(s.n_ids);
    for (auto& id : ids) id = static_cast<int32_t>(rng.below(s.vocab > 1 ? s.vocab - 1 : 1));  // last row unused
    run_parity<T>("embedding", [&](Side<T>& d) {
      T *out = d.put(std::vector<T>(dout.size(), T(-5))), *dt = d.put(dtable0);
      int32_t* pid = d.ids(ids);
      d.k.embedding(s.n_ids, s.dim, pid, d.put(table), out);
      d.k.embedding_backward(s.n_ids, s.dim, pid, d.put(dout), dt);
      return Outputs{d.get(out), d.get(dt)};
    }, {0, 0});
    if constexpr (std::is_same_v<T, double>) {
      // The f64 tolerance of parity.h is 1e-12; require exact equality here too.
      Side<T> cpu(bf::Device::cpu), gpu(bf::Device::cuda);
      auto run = [&](Side<T>& d) {
        T* dt = d.put(dtable0);
        d.k.embedding_backward(s.n_ids, s.dim, d.ids(ids), d.put(dout), dt);
        return d.get(dt);
      };
      CHECK(run(cpu) == run(gpu));
    }
  }
}

TEST_CASE_TEMPLATE("split_heads and merge_heads, overwrite and accumulate", T, float, double) {
  struct Case {
    int64_t B, Tn, H, dk;
  };
  for (Case s : {Case{1, 1, 1, 1}, Case{2, 3, 2, 5}, Case{4, 128, 12, 64}}) {
    CAPTURE(s.Tn);
    bf::Rng rng(900);
    const int64_t n = s.B * s.Tn * s.H * s.dk;
    const auto x = rand_vec<T>(n, rng), acc0 = rand_vec<T>(n, rng);
    // f32 {1e-7, 1e-7}: copies are exact; accumulation is one addition.
    run_parity<T>("heads", [&](Side<T>& d) {
      T *px = d.put(x), *s1 = d.put(acc0), *s2 = d.put(acc0), *m1 = d.put(acc0), *m2 = d.put(acc0);
      d.k.split_heads(s.B, s.Tn, s.H, s.dk, px, s1, false);
      d.k.split_heads(s.B, s.Tn, s.H, s.dk, px, s2, true);
      d.k.merge_heads(s.B, s.Tn, s.H, s.dk, px, m1, false);
      d.k.merge_heads(s.B, s.Tn, s.H, s.dk, px, m2, true);
      return Outputs{d.get(s1), d.get(s2), d.get(m1), d.get(m2)};
    }, {1e-7, 1e-7});
  }
}

TEST_CASE_TEMPLATE("attention_mix (shaped and skipinit) and its backward", T, float, double) {
  struct Case {
    int64_t batch, heads, t;
  };
  // f32 {1e-6, 1e-4}: the forward is a few roundings per element (FMA on the GPU); dalpha/dbeta/dgamma
  // are sums over batch * t * t <= 131072 terms, sequential in f32 on the CPU, chunked in double here.
  for (Case s : {Case{1, 1, 1}, Case{2, 3, 5}, Case{8, 12, 128}}) {
    CAPTURE(s.t);
    bf::Rng rng(1000);
    const int64_t n = s.batch * s.heads * s.t * s.t;
    const auto a = rand_vec<T>(n, rng, 0, 1), c = rand_vec<T>(s.t * s.t, rng, 0, 1), dout = rand_vec<T>(n, rng);
    const auto alpha = rand_vec<T>(s.heads, rng), beta = rand_vec<T>(s.heads, rng), gamma = rand_vec<T>(s.heads, rng);
    const auto da0 = rand_vec<T>(n, rng), dh0 = rand_vec<T>(s.heads, rng);
    for (bool shaped : {true, false}) {
      CAPTURE(shaped);
      run_parity<T>("attention_mix", [&](Side<T>& d) {
        T *pa = d.put(a), *pc = shaped ? d.put(c) : nullptr, *pg = shaped ? d.put(gamma) : nullptr;
        T *out = d.put(da0), *da = d.put(da0), *dal = d.put(dh0), *dbe = d.put(dh0), *dga = d.put(dh0);
        T *dal_only = d.put(dh0);
        d.k.attention_mix(s.batch, s.heads, s.t, pa, d.put(alpha), d.put(beta), pg, pc, out);
        d.k.attention_mix_backward(s.batch, s.heads, s.t, pa, d.put(beta), pc, d.put(dout), da, dal, dbe,
                                   shaped ? dga : nullptr);
        d.k.attention_mix_backward(s.batch, s.heads, s.t, pa, d.put(beta), pc, d.put(dout), nullptr, dal_only, nullptr,
                                   nullptr);
        return Outputs{d.get(out), d.get(da), d.get(dal), d.get(dbe), d.get(dga), d.get(dal_only)};
      }, {1e-6, 1e-4});
    }
  }
}

TEST_CASE_TEMPLATE("optimizer kernels: sum_squares_acc, adamw_update, sgd_update", T, float, double) {
  for (int64_t n : {1, 1000, 300007}) {
    CAPTURE(n);
    bf::Rng rng(1100);
    const auto p = rand_vec<T>(n, rng), g = rand_vec<T>(n, rng), m = rand_vec<T>(n, rng, -0.1, 0.1);
    const auto v = rand_vec<T>(n, rng, 0, 0.01);
    // f32 {1e-6, 1e-6}: a handful of roundings per element (sqrt, division, FMA); the squared norm in
    // double on both sides.
    run_parity<T>("optimizer", [&](Side<T>& d) {
      double* sq = d.put_f64({0.5});
      T *pp = d.put(p), *pm = d.put(m), *pv = d.put(v), *sp = d.put(p), *sb = d.put(m), *pg = d.put(g);
      d.k.sum_squares_acc(n, pg, sq);
      d.k.adamw_update(n, pp, pg, pm, pv, T(0.8), T(1e-3), T(0.9), T(0.999), T(1e-8), T(0.1), T(0.19), T(0.002));
      d.k.sgd_update(n, sp, pg, sb, T(0.8), T(1e-2), T(0.9), T(0.1));
      return Outputs{d.get(sq), d.get(pp), d.get(pm), d.get(pv), d.get(sp), d.get(sb)};
    }, {1e-6, 1e-6});
  }
}
