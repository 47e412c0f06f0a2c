// libFuzzer target: a whole safetensors file through decode_safetensors, the reader of every checkpoint
// (fuzz/fuzz_targets.h: safetensors_input has the contract). Seeds: fuzz/corpus/safetensors_fuzz/.
#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bf::fuzz::safetensors_input(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
