// doctest's main, plus the CPU thread setup every suite shares.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include "backends/kernels.h"

int main(int argc, char** argv) {
  bf::prefer_passive_openmp_wait(argv);
  bf::configure_cpu_threads(0);
  doctest::Context context(argc, argv);
  return context.run();
}
