// libFuzzer target: a whole token file (train.bin, val.bin) through TokenFile::from_bytes
// (fuzz/fuzz_targets.h: token_file_input has the contract). Seeds: fuzz/corpus/token_file_fuzz/.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bf::fuzz::token_file_input(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
