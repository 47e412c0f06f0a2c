// libFuzzer target: a config file's text and --set overrides through load_config / apply_override
// (fuzz/fuzz_targets.h: config_input has the input layout and the contract). Seeds: fuzz/corpus/config_fuzz/.
#include <sys/mman.h>

#include <cstdlib>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // load_config reads a path: an in-memory file (memfd) keeps the fuzzer off the disk.
  static const std::string path = [] {
    const int fd = ::memfd_create("config.json", 0);
    if (fd < 0) std::abort();
    return "/proc/self/fd/" + std::to_string(fd);
  }();
  bf::fuzz::config_input(std::string(reinterpret_cast<const char*>(data), size), path);
  return 0;
}
