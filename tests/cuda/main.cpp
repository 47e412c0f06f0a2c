// test_cuda's main: without a usable CUDA device (no GPU, a driver too old for the runtime, or a build
// without the backend) it prints why and exits 77, which ctest (SKIP_RETURN_CODE 77) shows as Skipped,
// never as passed. With a GPU it runs every test case of this folder.
//
// The test cases named "premise: ..." run on the CPU alone: they measure what the tolerances of the GPU
// tests are derived from. BAREFORMER_CUDA_TEST_PREMISES=1 runs them on a machine without a GPU (printing
// the measurements); the exit status is then theirs if they fail, and still 77 if they pass, since no GPU
// test ran.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "backends/kernels.h"
#include "core/storage.h"

int main(int argc, char** argv) {
  bf::prefer_passive_openmp_wait(argv);
  if (!bf::device_available(bf::Device::cuda)) {
    std::printf("test_cuda: SKIPPED: %s\n", bf::device_unavailable_reason(bf::Device::cuda).c_str());
    const char* premises = std::getenv("BAREFORMER_CUDA_TEST_PREMISES");
    if (premises != nullptr && std::string(premises) == "1") {
      bf::configure_cpu_threads(0);
      doctest::Context context(argc, argv);
      context.clearFilters();  // the premise cases only, whatever the command line selected
      context.addFilter("test-case", "premise:*");
      context.setOption("success", false);
      const int status = context.run();
      if (status != 0) return status;
    }
    return 77;
  }
  bf::configure_cpu_threads(0);
  doctest::Context context(argc, argv);
  return context.run();
}
