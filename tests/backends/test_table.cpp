// The kernel table itself: every entry is filled for both dtypes, and asking for a backend that is not
// built is a bf::Error, not a crash.
#include <doctest/doctest.h>

#include "backends/kernels.h"
#include "core/error.h"
#include "core/storage.h"

TEST_CASE_TEMPLATE("every entry of the CPU Kernels table is non-null", T, float, double) {
  const bf::Kernels<T>& k = bf::cpu_kernels<T>();
#define BF_TEST_ENTRY(name) CHECK_MESSAGE(static_cast<bool>(k.name != nullptr), #name " is null")
  BF_TEST_ENTRY(gemm);
  BF_TEST_ENTRY(gemm_batched);
  BF_TEST_ENTRY(add);
  BF_TEST_ENTRY(sub);
  BF_TEST_ENTRY(mul);
  BF_TEST_ENTRY(scale);
  BF_TEST_ENTRY(axpy);
  BF_TEST_ENTRY(mul_acc);
  BF_TEST_ENTRY(scale_by);
  BF_TEST_ENTRY(scale_by_acc);
  BF_TEST_ENTRY(dot_acc);
  BF_TEST_ENTRY(fill);
  BF_TEST_ENTRY(relu);
  BF_TEST_ENTRY(relu_backward);
  BF_TEST_ENTRY(leaky_relu);
  BF_TEST_ENTRY(leaky_relu_backward);
  BF_TEST_ENTRY(gelu);
  BF_TEST_ENTRY(gelu_backward);
  BF_TEST_ENTRY(bias_add);
  BF_TEST_ENTRY(sum_rows_acc);
  BF_TEST_ENTRY(sum_axis);
  BF_TEST_ENTRY(broadcast_axis_acc);
  BF_TEST_ENTRY(softmax);
  BF_TEST_ENTRY(softmax_backward);
  BF_TEST_ENTRY(cross_entropy);
  BF_TEST_ENTRY(cross_entropy_backward);
  BF_TEST_ENTRY(layernorm);
  BF_TEST_ENTRY(layernorm_backward);
  BF_TEST_ENTRY(rmsnorm);
  BF_TEST_ENTRY(rmsnorm_backward);
  BF_TEST_ENTRY(embedding);
  BF_TEST_ENTRY(embedding_backward);
  BF_TEST_ENTRY(attention_mix);
  BF_TEST_ENTRY(attention_mix_backward);
  BF_TEST_ENTRY(sum_squares_acc);
  BF_TEST_ENTRY(adamw_update);
  BF_TEST_ENTRY(sgd_update);
  BF_TEST_ENTRY(split_heads);
  BF_TEST_ENTRY(merge_heads);
  // Optional entries (a backend may leave them null; the op then runs the unfused ops): the CPU fills them.
  BF_TEST_ENTRY(causal_attention_probs);
  BF_TEST_ENTRY(causal_attention_probs_backward);
#undef BF_TEST_ENTRY
  // kernels(cpu) is the CPU table.
  CHECK(&bf::kernels<T>(bf::Device::cpu) == &k);
}

TEST_CASE_TEMPLATE("the CUDA table without the CUDA backend is a bf::Error", T, float, double) {
  if (bf::device_available(bf::Device::cuda)) return;  // a CUDA build on a GPU machine: nothing to check
  CHECK_THROWS_AS(bf::cuda_kernels<T>(), bf::Error);
  CHECK_THROWS_AS(bf::kernels<T>(bf::Device::cuda), bf::Error);
  CHECK_THROWS_WITH(bf::cuda_kernels<T>(), doctest::Contains("cuda"));
}

TEST_CASE("configure_cpu_threads sets the pool size") {
  const int before = bf::cpu_threads();
  bf::configure_cpu_threads(1);
  CHECK(bf::cpu_threads() == 1);
  bf::configure_cpu_threads(before);
  CHECK(bf::cpu_threads() == before);
}
