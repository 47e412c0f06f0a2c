// Byte-level byte-pair encoding (BPE): training merges on a text, encoding text with them, decoding.
//
// Tokens 0..255 are the bytes themselves; merge k (k = 0, 1, ...) joins two existing tokens into token
// 256 + k, so any byte string is representable and decoding is concatenation. The text is first cut
// into chunks (split_chunks, below) and tokens never cross a chunk boundary.
//
// Pre-splitting (the choice, and why). Like GPT-2, text is cut before merging, so a token is never
// "e d" or ") =" glued across a word boundary and the merge budget goes to words, operators and
// indentation. The rules work on bytes (no Unicode tables), so they apply unchanged to non-UTF-8 text:
//   word byte:        A-Z a-z 0-9 _ and every byte >= 0x80 (UTF-8 letters stay inside their word)
//   space:            0x20
//   other whitespace: \t \n \v \f \r
//   punctuation:      every other byte
// A chunk is one of
//   - an optional single space, then a maximal run of word bytes                      (" self", "x2")
//   - an optional single space, then a maximal run of punctuation                      (" ==", "):")
//   - a maximal run of whitespace; when a word or punctuation byte follows and the run ends in a
//     space, that last space is left to start the next chunk                           ("\n    " + " return")
// and a chunk longer than kMaxChunkBytes is cut into pieces of kMaxChunkBytes (bounds the cost of
// encoding a pathological line). Unlike GPT-2, letters and digits are not separated (identifiers such
// as utf8 or x2 stay whole) and there are no English contraction rules.
//
// Training (train_bpe). Every distinct chunk of the training text is a "word" with its count. Pair
// counts are weighted by word counts and counted at every adjacent position (so "aaa" holds the pair
// (a, a) twice, as in Sennrich et al. and Hugging Face tokenizers). Each step merges the pair with the
// highest count; ties go to the smallest left id, then the smallest right id. Within a word the pair
// is replaced left to right ("aaa" -> "Z a"). Counts are kept incrementally: merging visits only the
// words that contain the pair (an index from pair to words) and changes only the counts of pairs in
// those words; the best pair comes from a max-heap with lazy deletion (an entry whose count is stale is
// dropped, or re-pushed with the current count when that is lower).
//
// Encoding (BpeEncoder). Each chunk is encoded by repeatedly merging, among its adjacent pairs, the one
// with the lowest merge index (all its occurrences, left to right), until no pair is a merge. This gives
// exactly the tokens training produced for the training text's own chunks. Chunk results are cached.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bf {

inline constexpr int kBpeByteTokens = 256;
inline constexpr int kMaxChunkBytes = 128;

// Calls on_chunk(std::string_view) for each chunk of `text` in order; the chunks concatenate to `text`.
template <class F>
void split_chunks(std::string_view text, F&& on_chunk);

struct BpeMerge {
  int32_t left = 0, right = 0;
};

struct BpeTrainStats {
  int64_t text_bytes = 0;
  int64_t chunks = 0;           // chunk occurrences in the text
  int64_t distinct_chunks = 0;  // "words"
  int64_t tokens_after = 0;     // tokens of the training text after all merges
};

// Learns vocab_size - 256 merges from `text`. bf::Error when vocab_size is outside 257..65536, or when the
// text runs out of pairs first (every chunk already one token): the message says the largest reachable
// vocabulary.
std::vector<BpeMerge> train_bpe(std::string_view text, int vocab_size, BpeTrainStats* stats = nullptr);

// The bytes of every token of a merge list: entry i < 256 is byte i, entry 256 + k is the
// concatenation of merge k's two tokens.
std::vector<std::string> bpe_token_bytes(const std::vector<BpeMerge>& merges);

// Encodes text with a fixed merge list. Not thread-safe (the chunk cache); one per thread.
class BpeEncoder {
 public:
  explicit BpeEncoder(const std::vector<BpeMerge>& merges);
  // Appends the tokens of `text` to out.
  void encode(std::string_view text, std::vector<uint16_t>& out);
  std::vector<uint16_t> encode(std::string_view text) {
    std::vector<uint16_t> out;
    encode(text, out);
    return out;
  }
  // Tokens of one chunk, without the cache (the reference the cache must agree with).
  std::vector<uint16_t> encode_chunk(std::string_view chunk) const;

 private:
  std::unordered_map<uint64_t, int32_t> rank_;  // (left << 32 | right) -> merge index
  // chunk -> [offset, offset + length) in cached_; the keys view strings owned by cache_keys_ (a deque:
  // its elements never move). Cleared when it reaches kMaxCachedChunks (bounds memory on huge inputs).
  static constexpr size_t kMaxCachedChunks = 1 << 20;
  std::unordered_map<std::string_view, std::pair<uint32_t, uint32_t>> cache_;
  std::deque<std::string> cache_keys_;
  std::vector<uint16_t> cached_;
};

// ---- split_chunks -----------------------------------------------------------------------------------

namespace bpe_detail {
enum class ByteClass : uint8_t { word, space, other_space, punct };
inline constexpr ByteClass byte_class(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80)
    return ByteClass::word;
  if (c == ' ') return ByteClass::space;
  if (c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r') return ByteClass::other_space;
  return ByteClass::punct;
}
inline constexpr bool is_space(ByteClass k) { return k == ByteClass::space || k == ByteClass::other_space; }
}  // namespace bpe_detail

template <class F>
void split_chunks(std::string_view text, F&& on_chunk) {
  using bpe_detail::byte_class;
  using bpe_detail::ByteClass;
  using bpe_detail::is_space;
  const size_t n = text.size();
  auto emit = [&](size_t begin, size_t end) {
    for (; end - begin > static_cast<size_t>(kMaxChunkBytes); begin += kMaxChunkBytes)
      on_chunk(text.substr(begin, kMaxChunkBytes));
    if (end > begin) on_chunk(text.substr(begin, end - begin));
  };
  size_t i = 0;
  while (i < n) {
    const ByteClass k = byte_class(static_cast<unsigned char>(text[i]));
    size_t j = i + 1;
    if (is_space(k)) {
      while (j < n && is_space(byte_class(static_cast<unsigned char>(text[j])))) ++j;
      // Leave a final space to the word or punctuation that follows (when the run is not just that space).
      if (j < n && text[j - 1] == ' ' && j - i > 1) {
        emit(i, j - 1);
        i = j - 1;
        continue;
      }
      if (j < n && j - i == 1 && k == ByteClass::space) {  // a single space: prefix of the next chunk
        const ByteClass next = byte_class(static_cast<unsigned char>(text[j]));
        size_t e = j + 1;
        while (e < n && byte_class(static_cast<unsigned char>(text[e])) == next) ++e;
        emit(i, e);
        i = e;
        continue;
      }
    } else {
      while (j < n && byte_class(static_cast<unsigned char>(text[j])) == k) ++j;
    }
    emit(i, j);
    i = j;
  }
}

}  // namespace bf
