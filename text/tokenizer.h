// The tokenizer of a data folder, as every command that reads the folder uses it: byte-level (the
// default; one token per byte, vocab 256) or byte-level BPE (text/bpe.h). `bareformer prepare` writes it
// to DIR/tokenizer.json (format: docs/tokenizer.md); a folder without that file (one prepared before it
// existed, or token files written by hand) is byte-level.
//
// A run keeps a copy of its data's tokenizer (run.out_dir/tokenizer.json), so that eval and sample use
// the tokenizer the model was trained with even after the data folder is prepared again, and a resume
// or an eval on a folder with another tokenizer is refused.
//
// How the folder is checked against a model (check_data_vocabulary): model.vocab_size must be at least
// the tokenizer's vocabulary (ids beyond it never occur in the data; if sampled they decode to U+FFFD),
// and each token file's vocab_size field must equal the tokenizer's.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "text/bpe.h"
#include "io/token_file.h"

namespace bf {

inline constexpr const char* kTokenizerFileName = "tokenizer.json";
inline constexpr const char* kTokenizerFormat = "bareformer tokenizer 1";
inline constexpr const char* kPreSplitName = "bareformer-code-1";  // the rules of split_chunks

class Tokenizer {
 public:
  enum class Kind { bytes, bpe };

  static Tokenizer bytes();
  static Tokenizer bpe(std::vector<BpeMerge> merges);
  // `kind` "bytes" (vocab_size 0 or 256) or "bpe" (vocab_size 257..65536), trained on `train_text`;
  // bf::Error naming the option at fault otherwise.
  static Tokenizer train(const std::string& kind, int vocab_size, std::string_view train_text,
                         BpeTrainStats* stats = nullptr);

  // DIR/tokenizer.json, or byte-level when the folder has none. bf::Error naming the file and the field
  // at fault when it is malformed.
  static Tokenizer load_folder(const std::string& dir);
  static Tokenizer from_json(const std::string& text, const std::string& where);
  std::string to_json() const;  // the file's text, deterministic (same tokenizer, same bytes)

  Kind kind() const { return kind_; }
  const char* kind_name() const { return kind_ == Kind::bytes ? "bytes" : "bpe"; }
  int vocab_size() const { return static_cast<int>(token_bytes_.size()); }
  const std::vector<BpeMerge>& merges() const { return merges_; }
  std::string describe() const;  // "byte-level, vocab 256" / "BPE, vocab 4096 (3840 merges)"

  std::vector<uint16_t> encode(std::string_view text) const;
  // Concatenates the tokens' bytes; an id outside the vocabulary decodes to U+FFFD (EF BF BD).
  std::string decode(const std::vector<int32_t>& ids) const;
  // Bytes of original text per token id (1 for every byte token).
  const std::vector<int32_t>& token_text_bytes() const { return token_lengths_; }
  const std::string& token(int32_t id) const { return token_bytes_.at(static_cast<size_t>(id)); }

  // Tokenises `text` and writes it as a token file (1 byte per token for bytes, 2 for BPE); returns the
  // token count.
  int64_t write_token_file(const std::string& path, const std::vector<uint8_t>& text) const;
  // The bytes write_token_file writes, for writing several files as one set (io/atomic_file.h);
  // `tokens` receives the number of tokens.
  std::string token_file_bytes(const std::vector<uint8_t>& text, int64_t& tokens) const;

 private:
  Kind kind_ = Kind::bytes;
  std::vector<BpeMerge> merges_;
  std::vector<std::string> token_bytes_;
  std::vector<int32_t> token_lengths_;
  std::shared_ptr<BpeEncoder> encoder_;  // bpe only; its chunk cache makes encode() not thread-safe
};

// Writes the run's copy; on resume, bf::Error when the run already holds a copy that differs from the
// data folder's tokenizer.
void keep_run_tokenizer(const std::string& run_dir, const Tokenizer& data_tokenizer, const std::string& data_dir,
                        bool resume);
// The copy kept next to a checkpoint (tokenizer.json in its folder), or nullopt (a run from before copies).
std::optional<Tokenizer> kept_tokenizer(const std::string& checkpoint_path);
// data_dir's tokenizer, for evaluating or sampling the checkpoint; bf::Error when its run kept another.
Tokenizer data_tokenizer_for(const std::string& checkpoint_path, const std::string& data_dir);

// Bytes of original text that ids[0 .. n) stand for: the sum of token_text_bytes[id] (an id outside the
// table counts 0). Bits per byte divides total nats by this (train/trainer.h, EvalResult).
int64_t text_bytes_of(const int32_t* ids, int64_t n, const std::vector<int32_t>& token_text_bytes);

// The checks above, for the folder `dir` whose tokenizer and token files were loaded; bf::Error naming
// the folder, both vocabularies and the fix (from_checkpoint: the model is a trained one, so the fix is
// another folder, not another model.vocab_size).
void check_data_vocabulary(const std::string& dir, const Tokenizer& tokenizer, int model_vocab_size,
                           const std::vector<const TokenFile*>& files, bool from_checkpoint = false);

}  // namespace bf
