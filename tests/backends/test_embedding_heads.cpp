// embedding gather and its scatter-add backward (with repeated ids), and the head permutations
// split_heads / merge_heads (overwrite and accumulate), against naive index loops.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "naive.h"

TEST_CASE_TEMPLATE("embedding copies table rows; embedding_backward scatter-adds with repeats", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(71);
  struct Case {
    int64_t vocab, dim, n_ids;
  };
  // The last case is above the parallel grain with dim >= 32 and dim not a multiple of 32.
  for (Case s : {Case{5, 3, 8}, Case{4, 1, 6}, Case{11, 70, 600}}) {
    CAPTURE(s.vocab);
    CAPTURE(s.dim);
    CAPTURE(s.n_ids);
    const auto table = naive::random_vec<T>(s.vocab * s.dim, rng);
    std::vector<int32_t> ids(s.n_ids);
    for (auto& id : ids) id = static_cast<int32_t>(rng.below(s.vocab - 1));  // the last row is never used
    ids[0] = ids[1] = ids[s.n_ids - 1] = 2;                                   // repeats, for sure
    std::vector<T> out(s.n_ids * s.dim, T(-5));
    K.embedding(s.n_ids, s.dim, ids.data(), table.data(), out.data());
    naive::Vec want(out.size());
    for (int64_t i = 0; i < s.n_ids; ++i)
      for (int64_t c = 0; c < s.dim; ++c) want[i * s.dim + c] = double(table[ids[i] * s.dim + c]);
    NAIVE_CHECK_CLOSE(naive::to_d(out), want, 0.0, 0.0);

    const auto dout = naive::random_vec<T>(out.size(), rng), dtable0 = naive::random_vec<T>(table.size(), rng);
    std::vector<T> dtable = dtable0;
    K.embedding_backward(s.n_ids, s.dim, ids.data(), dout.data(), dtable.data());
    naive::Vec want_d = naive::to_d(dtable0);
    for (int64_t i = 0; i < s.n_ids; ++i)
      for (int64_t c = 0; c < s.dim; ++c) want_d[ids[i] * s.dim + c] += double(dout[i * s.dim + c]);
    NAIVE_CHECK_CLOSE(naive::to_d(dtable), want_d, naive::Tol<T>::rtol, naive::Tol<T>::atol * std::sqrt(double(s.n_ids)));
    // The unused last row keeps its pre-filled gradient exactly.
    for (int64_t c = 0; c < s.dim; ++c)
      CHECK(dtable[(s.vocab - 1) * s.dim + c] == dtable0[(s.vocab - 1) * s.dim + c]);
  }
}

TEST_CASE_TEMPLATE("embedding_backward is deterministic (same bits on repeated calls)", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(72);
  const int64_t vocab = 3, dim = 64, n = 1000;
  std::vector<int32_t> ids(n);
  for (auto& id : ids) id = static_cast<int32_t>(rng.below(vocab));
  const auto dout = naive::random_vec<T>(n * dim, rng);
  std::vector<T> d1(vocab * dim, T(0)), d2(vocab * dim, T(0));
  K.embedding_backward(n, dim, ids.data(), dout.data(), d1.data());
  K.embedding_backward(n, dim, ids.data(), dout.data(), d2.data());
  CHECK(d1 == d2);
}

TEST_CASE_TEMPLATE("split_heads and merge_heads permute [B,T,H,dk] <-> [B,H,T,dk]", T, float, double) {
  const auto& K = bf::cpu_kernels<T>();
  bf::Rng rng(73);
  struct Case {
    int64_t B, Tn, H, dk;
  };
  for (Case s : {Case{2, 3, 4, 5}, Case{1, 1, 1, 1}, Case{3, 2, 1, 4}, Case{1, 5, 3, 1}, Case{4, 64, 4, 24}}) {
    CAPTURE(s.B);
    CAPTURE(s.Tn);
    CAPTURE(s.H);
    CAPTURE(s.dk);
    const int64_t n = s.B * s.Tn * s.H * s.dk;
    const auto src = naive::random_vec<T>(n, rng), pre = naive::random_vec<T>(n, rng);

    std::vector<T> split(n, T(7));
    K.split_heads(s.B, s.Tn, s.H, s.dk, src.data(), split.data(), false);
    const naive::Vec want_split = naive::split_heads(naive::to_d(src), s.B, s.Tn, s.H, s.dk);
    NAIVE_CHECK_CLOSE(naive::to_d(split), want_split, 0.0, 0.0);

    std::vector<T> merged(n, T(7));
    K.merge_heads(s.B, s.Tn, s.H, s.dk, src.data(), merged.data(), false);
    const naive::Vec want_merge = naive::merge_heads(naive::to_d(src), s.B, s.Tn, s.H, s.dk);
    NAIVE_CHECK_CLOSE(naive::to_d(merged), want_merge, 0.0, 0.0);

    // accumulate = true adds onto dst.
    std::vector<T> split_acc = pre, merge_acc = pre;
    K.split_heads(s.B, s.Tn, s.H, s.dk, src.data(), split_acc.data(), true);
    K.merge_heads(s.B, s.Tn, s.H, s.dk, src.data(), merge_acc.data(), true);
    naive::Vec ws = naive::to_d(pre), wm = naive::to_d(pre);
    for (int64_t i = 0; i < n; ++i) ws[i] += want_split[i], wm[i] += want_merge[i];
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(split_acc), ws);
    NAIVE_CHECK_CLOSE_T(T, naive::to_d(merge_acc), wm);

    // merge undoes split exactly.
    std::vector<T> round_trip(n);
    K.merge_heads(s.B, s.Tn, s.H, s.dk, split.data(), round_trip.data(), false);
    CHECK(round_trip == src);
  }
}

TEST_CASE("split_heads moves a known element where the layout says") {
  // x[b=1, t=2, h=0, c=1] of [2,3,2,2] lands at y[b=1, h=0, t=2, c=1] of [2,2,3,2].
  const auto& K = bf::cpu_kernels<double>();
  std::vector<double> x(24, 0.0), y(24, -1.0);
  x[((1 * 3 + 2) * 2 + 0) * 2 + 1] = 42.0;
  K.split_heads(2, 3, 2, 2, x.data(), y.data(), false);
  for (int i = 0; i < 24; ++i) CHECK(y[i] == (i == ((1 * 2 + 0) * 3 + 2) * 2 + 1 ? 42.0 : 0.0));
}
