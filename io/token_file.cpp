#include "io/token_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "core/error.h"
#include "io/atomic_file.h"

namespace bf {

namespace {

uint32_t read_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

uint64_t read_u64(const uint8_t* p) {
  return static_cast<uint64_t>(read_u32(p)) | static_cast<uint64_t>(read_u32(p + 4)) << 32;
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

int64_t max_vocab_for(int bytes_per_token) { return bytes_per_token == 1 ? 256 : 65536; }

std::string header_bytes(int vocab_size, uint64_t count, int bytes_per_token) {
  std::string out(kTokenFileMagic, sizeof kTokenFileMagic);
  put_u32(out, kTokenFileVersion);
  put_u32(out, static_cast<uint32_t>(vocab_size));
  put_u64(out, count);
  put_u32(out, static_cast<uint32_t>(bytes_per_token));
  put_u32(out, 0);
  return out;
}

// `name` is what messages call the file ("write_token_file 'PATH'", "encode_token_file").
template <class T>
std::string encode_tokens(const std::string& name, int vocab_size, const std::vector<T>& tokens) {
  BF_CHECK(vocab_size >= 1 && vocab_size <= 65536, name, ": vocab_size ", vocab_size, ", expected 1..65536");
  const int bytes_per_token = vocab_size <= 256 ? 1 : 2;
  std::string bytes = header_bytes(vocab_size, tokens.size(), bytes_per_token);
  bytes.reserve(bytes.size() + tokens.size() * bytes_per_token);
  if constexpr (sizeof(T) == 1) {
    if (vocab_size == 256) {  // every byte is a valid id: copy as is
      bytes.append(reinterpret_cast<const char*>(tokens.data()), tokens.size());
      return bytes;
    }
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    const uint32_t id = tokens[i];
    BF_CHECK(id < static_cast<uint32_t>(vocab_size), name, ": token ", i, " has id ", id, ", expected < vocab_size ",
             vocab_size);
    bytes.push_back(static_cast<char>(id & 0xFF));
    if (bytes_per_token == 2) bytes.push_back(static_cast<char>(id >> 8));
  }
  return bytes;
}

template <class T>
void write_tokens(const std::string& path, int vocab_size, const std::vector<T>& tokens) {
  write_file_atomically(path, encode_tokens("write_token_file '" + path + "'", vocab_size, tokens));
}

// The header fields of a token file, validated against the file's size.
struct TokenFileHeader {
  uint32_t vocab = 0;
  uint32_t bytes_per_token = 1;
  uint64_t count = 0;
  uint64_t expected_size = 0;  // header + payload
};

// Checks the first `header_read` (= min(file_size, 32)) bytes of a file of `file_size` bytes; shared by
// load (which then reads the payload from disk) and from_bytes (which has it in memory already).
TokenFileHeader check_header(const uint8_t* header, size_t header_read, uint64_t file_size, const std::string& where) {
  // Magic first (on whatever part of it is present), so a random short file is named for what it is.
  const size_t magic_present = std::min<size_t>(header_read, sizeof kTokenFileMagic);
  if (std::memcmp(header, kTokenFileMagic, magic_present) != 0) {
    std::string found;
    for (size_t i = 0; i < magic_present; ++i) {
      const unsigned char c = header[i];
      found += (c >= 0x20 && c < 0x7F) ? std::string(1, static_cast<char>(c)) : "?";
    }
    fail(where, ": not a bareformer token file (bytes 0..7 should be the magic \"BFTOKENS\", found \"", found,
         "\")");
  }
  if (file_size < static_cast<uint64_t>(kTokenFileHeaderBytes))
    fail(where, ": file too short: ", file_size, " bytes, expected at least the ", kTokenFileHeaderBytes,
         "-byte header");

  TokenFileHeader h;
  const uint32_t version = read_u32(header + 8);
  h.vocab = read_u32(header + 12);
  h.count = read_u64(header + 16);
  h.bytes_per_token = read_u32(header + 24);
  const uint32_t reserved = read_u32(header + 28);
  BF_CHECK(version == kTokenFileVersion, where, ": unsupported version ", version, " at byte offset 8, expected ",
           kTokenFileVersion);
  BF_CHECK(h.bytes_per_token == 1 || h.bytes_per_token == 2, where, ": bytes_per_token ", h.bytes_per_token,
           " at byte offset 24, expected 1 or 2");
  const int64_t max_vocab = max_vocab_for(static_cast<int>(h.bytes_per_token));
  BF_CHECK(h.vocab >= 1 && h.vocab <= max_vocab, where, ": vocab_size ", h.vocab, " at byte offset 12, expected 1..",
           max_vocab, " for ", h.bytes_per_token, " byte(s) per token");
  BF_CHECK(reserved == 0, where, ": reserved field at byte offset 28 is ", reserved, ", expected 0");

  const uint64_t payload_limit = std::numeric_limits<uint64_t>::max() / 4;
  BF_CHECK(h.count <= payload_limit, where, ": token_count ", h.count, " at byte offset 16 is implausibly large (file has ",
           file_size, " bytes)");
  h.expected_size = static_cast<uint64_t>(kTokenFileHeaderBytes) + h.count * h.bytes_per_token;
  if (file_size < h.expected_size)
    fail(where, ": truncated: expected ", h.expected_size, " bytes (", kTokenFileHeaderBytes, "-byte header + ", h.count,
         " tokens x ", h.bytes_per_token, " byte(s)), file has ", file_size, " bytes");
  if (file_size > h.expected_size)
    fail(where, ": trailing bytes: expected ", h.expected_size, " bytes (", kTokenFileHeaderBytes, "-byte header + ",
         h.count, " tokens x ", h.bytes_per_token, " byte(s)), file has ", file_size, " bytes (",
         file_size - h.expected_size, " extra)");
  return h;
}

// Every id < vocab (nothing to check when one byte per token and vocab 256).
void check_ids(const std::vector<uint8_t>& payload, const TokenFileHeader& h, const std::string& where) {
  if (h.bytes_per_token == 1 && h.vocab == 256) return;
  const uint8_t* p = payload.data();
  for (uint64_t i = 0; i < h.count; ++i) {
    const uint32_t id = h.bytes_per_token == 1 ? p[i] : (p[2 * i] | static_cast<uint32_t>(p[2 * i + 1]) << 8);
    if (id >= h.vocab)
      fail(where, ": token ", i, " at byte offset ", kTokenFileHeaderBytes + i * h.bytes_per_token, " has id ", id,
           ", expected < vocab_size ", h.vocab);
  }
}

}  // namespace

TokenFile TokenFile::load(const std::string& path) {
  const std::string where = "token file '" + path + "'";
  // A device or FIFO (train.bin -> /dev/zero) has no size to check and may never end: refused first.
  const std::string kind = non_regular_file_kind(path);
  if (!kind.empty()) fail(where, ": not a regular file (", kind, ")");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(where, ": cannot open for reading: ", std::strerror(errno));
  std::error_code ec;
  const uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (ec) fail(where, ": cannot read its size: ", ec.message());

  uint8_t header[kTokenFileHeaderBytes] = {};
  const size_t header_read = static_cast<size_t>(std::min<uintmax_t>(file_size, kTokenFileHeaderBytes));
  in.read(reinterpret_cast<char*>(header), static_cast<std::streamsize>(header_read));
  if (static_cast<size_t>(in.gcount()) != header_read) fail(where, ": read error in the header");
  const TokenFileHeader h = check_header(header, header_read, file_size, where);

  TokenFile file;
  file.path_ = path;
  file.vocab_ = static_cast<int>(h.vocab);
  file.bytes_per_token_ = static_cast<int>(h.bytes_per_token);
  file.count_ = static_cast<int64_t>(h.count);
  file.payload_.resize(h.count * h.bytes_per_token);
  in.read(reinterpret_cast<char*>(file.payload_.data()), static_cast<std::streamsize>(file.payload_.size()));
  if (static_cast<size_t>(in.gcount()) != file.payload_.size())
    fail(where, ": read error after ", kTokenFileHeaderBytes + in.gcount(), " of ", h.expected_size, " bytes");
  check_ids(file.payload_, h, where);
  return file;
}

TokenFile TokenFile::from_bytes(const std::string& bytes, const std::string& name) {
  const std::string where = "token file '" + name + "'";
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t header_read = std::min<size_t>(bytes.size(), kTokenFileHeaderBytes);
  const TokenFileHeader h = check_header(data, header_read, bytes.size(), where);
  TokenFile file;
  file.path_ = name;
  file.vocab_ = static_cast<int>(h.vocab);
  file.bytes_per_token_ = static_cast<int>(h.bytes_per_token);
  file.count_ = static_cast<int64_t>(h.count);
  file.payload_.assign(data + kTokenFileHeaderBytes, data + bytes.size());  // exactly count * bytes_per_token
  check_ids(file.payload_, h, where);
  return file;
}

TokenFile TokenFile::from_tokens(int vocab_size, const std::vector<uint16_t>& tokens, const std::string& name) {
  BF_CHECK(vocab_size >= 1 && vocab_size <= 65536, "TokenFile::from_tokens '", name, "': vocab_size ", vocab_size,
           ", expected 1..65536");
  TokenFile file;
  file.path_ = name;
  file.vocab_ = vocab_size;
  file.bytes_per_token_ = vocab_size <= 256 ? 1 : 2;
  file.count_ = static_cast<int64_t>(tokens.size());
  file.payload_.reserve(tokens.size() * file.bytes_per_token_);
  for (size_t i = 0; i < tokens.size(); ++i) {
    BF_CHECK(tokens[i] < vocab_size, "TokenFile::from_tokens '", name, "': token ", i, " has id ", tokens[i],
             ", expected < vocab_size ", vocab_size);
    file.payload_.push_back(static_cast<uint8_t>(tokens[i] & 0xFF));
    if (file.bytes_per_token_ == 2) file.payload_.push_back(static_cast<uint8_t>(tokens[i] >> 8));
  }
  return file;
}

int32_t TokenFile::token(int64_t i) const {
  BF_CHECK(i >= 0 && i < count_, "token file '", path_, "': token index ", i, " out of range [0, ", count_, ")");
  const uint8_t* p = payload_.data();
  return bytes_per_token_ == 1 ? p[i] : static_cast<int32_t>(p[2 * i] | p[2 * i + 1] << 8);
}

void TokenFile::copy_tokens(int64_t start, int64_t count, int32_t* out) const {
  BF_CHECK(start >= 0 && count >= 0 && start <= count_ - count, "token file '", path_, "': tokens [", start, ", ",
           start + count, ") out of range [0, ", count_, ")");
  const uint8_t* p = payload_.data();
  if (bytes_per_token_ == 1) {
    for (int64_t i = 0; i < count; ++i) out[i] = p[start + i];
  } else {
    p += 2 * start;
    for (int64_t i = 0; i < count; ++i) out[i] = static_cast<int32_t>(p[2 * i] | p[2 * i + 1] << 8);
  }
}

std::vector<int32_t> TokenFile::to_vector() const {
  std::vector<int32_t> out(static_cast<size_t>(count_));
  if (count_ > 0) copy_tokens(0, count_, out.data());
  return out;
}

std::string encode_token_file(int vocab_size, const std::vector<uint8_t>& tokens) {
  return encode_tokens("encode_token_file", vocab_size, tokens);
}

std::string encode_token_file(int vocab_size, const std::vector<uint16_t>& tokens) {
  return encode_tokens("encode_token_file", vocab_size, tokens);
}

void write_token_file(const std::string& path, int vocab_size, const std::vector<uint8_t>& tokens) {
  write_tokens(path, vocab_size, tokens);
}

void write_token_file(const std::string& path, int vocab_size, const std::vector<uint16_t>& tokens) {
  write_tokens(path, vocab_size, tokens);
}

}  // namespace bf
