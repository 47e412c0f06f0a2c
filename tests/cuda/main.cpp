// test_cuda's main: without a usable CUDA device (no GPU, a driver too old for the runtime, or a build
// without the backend) it prints why and exits 77, which ctest (SKIP_RETURN_CODE 77) shows as Skipped,
// never as passed. With a GPU it runs every test case of this folder.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "backends/kernels.h"
#include "core/storage.h"

int main(int argc, char** argv) {
  bf::prefer_passive_openmp_wait(argv);
  if (!bf::device_available(bf::Device::cuda)) {
    std::printf("test_cuda: SKIPPED: %s\n", bf::device_unavailable_reason(bf::Device::cuda).c_str());
    return 77;
  }
  bf::configure_cpu_threads(0);
  doctest::Context context(argc, argv);
  return context.run();
}
