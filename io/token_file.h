// Token files: the on-disk form of a tokenised corpus split (train.bin, val.bin).
//
// Layout (all integers little-endian, 32-byte header, then the tokens):
//
//   offset  size  field
//        0     8  magic "BFTOKENS"
//        8     4  u32 version = 1
//       12     4  u32 vocab_size        (1..256 when bytes_per_token = 1, 1..65536 when 2)
//       16     8  u64 token_count
//       24     4  u32 bytes_per_token   (1 or 2)
//       28     4  u32 reserved = 0
//       32     .  token_count tokens, bytes_per_token bytes each, every id < vocab_size
//
// The byte-level tokenizer writes vocab 256 with 1 byte per token; the format itself is general.
// Loading validates everything up front (header, exact file size, every token id), so the training loop
// never meets a bad id. The tokens are kept in memory in their file width (1 or 2 bytes each).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bf {

inline constexpr char kTokenFileMagic[8] = {'B', 'F', 'T', 'O', 'K', 'E', 'N', 'S'};
inline constexpr uint32_t kTokenFileVersion = 1;
inline constexpr int64_t kTokenFileHeaderBytes = 32;

class TokenFile {
 public:
  TokenFile() = default;

  // Reads and validates a token file; any problem is a bf::Error naming the path, the byte offset or
  // field at fault and what was expected.
  static TokenFile load(const std::string& path);
  // The same checks and messages on a whole file already in memory (`name` stands in for the path);
  // the entry point of fuzz/token_file_fuzz.cpp.
  static TokenFile from_bytes(const std::string& bytes, const std::string& name);

  // An in-memory token sequence with the same interface (tests, tools). Ids must be < vocab_size;
  // `name` stands in for the path in messages.
  static TokenFile from_tokens(int vocab_size, const std::vector<uint16_t>& tokens,
                               const std::string& name = "<memory>");

  int64_t size() const { return count_; }
  int vocab_size() const { return vocab_; }
  int bytes_per_token() const { return bytes_per_token_; }
  const std::string& path() const { return path_; }

  // Token i (bounds-checked; for tests and small host-side logic).
  int32_t token(int64_t i) const;
  // Copies tokens [start, start + count) into out as int32 (range checked once; the hot path).
  void copy_tokens(int64_t start, int64_t count, int32_t* out) const;
  // All tokens as int32 (tests, small files).
  std::vector<int32_t> to_vector() const;

 private:
  std::string path_;
  int vocab_ = 0;
  int bytes_per_token_ = 1;
  int64_t count_ = 0;
  std::vector<uint8_t> payload_;  // count_ * bytes_per_token_ bytes, little-endian
};

// Writes a token file atomically (write_file_atomically: temp file, fsync, rename). bytes_per_token is 1 when
// vocab_size <= 256, else 2. Every id must be < vocab_size (bf::Error naming the index otherwise).
// The bytes write_token_file writes (for writing several files as one set, io/atomic_file.h).
std::string encode_token_file(int vocab_size, const std::vector<uint8_t>& tokens);
std::string encode_token_file(int vocab_size, const std::vector<uint16_t>& tokens);
void write_token_file(const std::string& path, int vocab_size, const std::vector<uint8_t>& tokens);
void write_token_file(const std::string& path, int vocab_size, const std::vector<uint16_t>& tokens);

}  // namespace bf
