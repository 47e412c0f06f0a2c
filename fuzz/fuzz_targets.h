// The three fuzz targets' bodies, shared by the libFuzzer entry points (fuzz/*_fuzz.cpp, clang only) and
// by tests/train/test_fuzz_regressions.cpp, which replays every seed and every input a fuzzer found in
// the normal suite (gcc, ASan+UBSan in CI), so what was fixed stays fixed.
//
// The contract each checks: an input is accepted, or rejected with a bf::Error. Any other exception is
// a bug (the CLI reports only bf::Error; anything else terminates the program), and so is a crash or a
// sanitizer report. An accepted input must also hold up in use; when it does not, these throw
// std::logic_error (which, escaping a fuzz target, is reported as a crash). Each returns the bf::Error's
// message ("" when the input was accepted), which the regression test compares with what it expects.
#pragma once
#include <cstdint>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.h"
#include "train/config.h"
#include "io/safetensors.h"
#include "io/token_file.h"

namespace bf::fuzz {

// The resolved config must be what the trainer can use: it dumps (config.json is written from it) and
// parses back to itself.
inline void check_resolved(const Config& config) {
  const nlohmann::json resolved = to_json(config);
  (void)resolved.dump(2);
  if (to_json(parse_config(resolved, "resolved")) != resolved)
    throw std::logic_error("the resolved config does not round-trip: " + resolved.dump());
}

// config_fuzz. `input` is a config file's text, optionally followed by a NUL byte and newline-separated
// --set assignments ("{...}\0model.n_layer=2\nrun.device=cpu"). The text is written to `path` and read
// by load_config, exactly as `bareformer train PATH --set ...` reads it; then the assignments alone
// are applied to an empty config. Returns load_config's message.
inline std::string config_input(const std::string& input, const std::string& path) {
  const size_t nul = input.find('\0');
  const std::string text = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string::npos) {
    for (size_t start = nul + 1; start <= input.size();) {
      const size_t end = std::min(input.find('\n', start), input.size());
      overrides.push_back(input.substr(start, end - start));
      start = end + 1;
    }
  }
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("cannot write the fuzz input to " + path);
  }
  std::string message;
  try {
    check_resolved(load_config(path, overrides));
  } catch (const Error& e) {
    message = e.what();
  }
  nlohmann::json doc = nlohmann::json::object();
  try {
    for (const std::string& o : overrides) apply_override(doc, o);
    check_resolved(parse_config(doc, "--set"));
  } catch (const Error&) {
  }
  return message;
}

inline bool same_contents(const SafetensorsContents& a, const SafetensorsContents& b) {
  if (a.metadata != b.metadata || a.tensors.size() != b.tensors.size()) return false;
  for (size_t i = 0; i < a.tensors.size(); ++i) {
    const Tensor& x = a.tensors[i].tensor;
    const Tensor& y = b.tensors[i].tensor;
    if (a.tensors[i].name != b.tensors[i].name || x.dtype() != y.dtype() || !(x.shape() == y.shape()) ||
        x.nbytes() != y.nbytes() || (x.nbytes() > 0 && std::memcmp(x.raw_data(), y.raw_data(), x.nbytes()) != 0))
      return false;
  }
  return true;
}

// safetensors_fuzz: a whole file through decode_safetensors (every checkpoint is read by it). What it
// accepts must re-encode, and decode again to the same metadata and bitwise the same tensors.
inline std::string safetensors_input(const std::string& bytes) {
  SafetensorsContents contents;
  try {
    contents = decode_safetensors(bytes, "fuzz.safetensors");
  } catch (const Error& e) {
    return e.what();
  }
  std::string again;
  try {
    again = encode_safetensors(contents.tensors, contents.metadata);
  } catch (const Error& e) {
    throw std::logic_error(std::string("a decoded file cannot be re-encoded: ") + e.what());
  }
  if (!same_contents(contents, decode_safetensors(again, "re-encoded")))
    throw std::logic_error("decode(encode(decode(x))) differs from decode(x)");
  return "";
}

// token_file_fuzz: a whole token file through TokenFile::from_bytes (the checks and messages of
// TokenFile::load). What it accepts must have the size its header promises and every id below its
// vocabulary: the training loop relies on that and never checks ids again.
inline std::string token_file_input(const std::string& bytes) {
  TokenFile file;
  try {
    file = TokenFile::from_bytes(bytes, "fuzz.bin");
  } catch (const Error& e) {
    return e.what();
  }
  if (static_cast<uint64_t>(kTokenFileHeaderBytes) + static_cast<uint64_t>(file.size()) * file.bytes_per_token() !=
      bytes.size())
    throw std::logic_error("accepted a token file whose size disagrees with its header");
  for (int32_t id : file.to_vector())
    if (id < 0 || id >= file.vocab_size())
      throw std::logic_error("accepted id " + std::to_string(id) + " outside vocab " + std::to_string(file.vocab_size()));
  if (file.size() > 0) {
    int32_t last = -1;
    file.copy_tokens(file.size() - 1, 1, &last);
    if (last != file.token(file.size() - 1)) throw std::logic_error("copy_tokens and token disagree");
  }
  return "";
}

}  // namespace bf::fuzz
