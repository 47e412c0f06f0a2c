// The matmul family of the table (gemm and gemm_batched): f64 always from OpenBLAS, f32 from the selected
// provider (backends/cpu_gemm.h says how it is chosen).
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "backends/cpu/cpu_kernels.h"
#include "backends/cpu/gemm_providers.h"
#include "backends/cpu_gemm.h"
#include "core/error.h"

#ifndef BF_DEFAULT_GEMM
#define BF_DEFAULT_GEMM "openblas"
#endif

extern "C" char* openblas_get_config(void);

namespace bf {

template <>
std::vector<GemmProvider<double>> cpu_gemm_providers<double>() {
  return {{"openblas", cpu::openblas_gemm<double>, cpu::openblas_gemm_batched<double>}};
}

template <>
std::vector<GemmProvider<float>> cpu_gemm_providers<float>() {
  std::vector<GemmProvider<float>> all = {
#ifdef BF_WITH_ONEDNN
      {"onednn", cpu::onednn_sgemm, cpu::onednn_sgemm_batched},
#endif
      {"openblas", cpu::openblas_gemm<float>, cpu::openblas_gemm_batched<float>}};
  for (size_t i = 0; i < all.size(); ++i)  // the default first
    if (std::strcmp(all[i].name, BF_DEFAULT_GEMM) == 0) std::swap(all[0], all[i]);
  return all;
}

GemmProvider<float> select_cpu_gemm_provider(const char* name) {
  const std::string wanted = name && *name ? name : BF_DEFAULT_GEMM;
  std::string built;
  for (const GemmProvider<float>& p : cpu_gemm_providers<float>()) {
    if (wanted == p.name) return p;
    built += built.empty() ? p.name : std::string(" or ") + p.name;
  }
  throw Error("BAREFORMER_GEMM=" + wanted + ": not a GEMM provider of this build (expected " + built + ")");
}

const char* cpu_gemm_provider() {
  const Kernels<float>& table = cpu_kernels<float>();
  for (const GemmProvider<float>& p : cpu_gemm_providers<float>())
    if (p.gemm == table.gemm) return p.name;
  return "unknown";
}

std::string cpu_gemm_description(const std::string& name) {
#ifdef BF_WITH_ONEDNN
  if (name == "onednn") return std::string("onednn ") + cpu::onednn_version();
#endif
  if (name == "openblas") {
    // openblas_get_config(): "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ...": keep the version.
    std::string config = openblas_get_config(), version;
    if (config.rfind("OpenBLAS ", 0) == 0) version = config.substr(9, config.find(' ', 9) - 9);
    return "openblas " + version + " core=" + cpu::openblas_core_name();
  }
  return name;
}

}  // namespace bf

namespace bf::cpu {

// The matmul family's entries come from a provider chosen at run time, not from functions of this file.
template <class T>
void fill_matmul_kernels(Kernels<T>& k) {
  GemmProvider<T> p;
  if constexpr (std::is_same_v<T, float>) p = select_cpu_gemm_provider(std::getenv("BAREFORMER_GEMM"));
  else p = cpu_gemm_providers<T>().front();  // OpenBLAS, the one f64 provider
#define BF_SET_FROM_PROVIDER(entry, params) k.entry = p.entry;
  BF_KERNELS_matmul(BF_SET_FROM_PROVIDER)
#undef BF_SET_FROM_PROVIDER
}

}  // namespace bf::cpu

BF_INSTANTIATE_FAMILY_FILL(cpu, matmul)
