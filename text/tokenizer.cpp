#include "text/tokenizer.h"

#include <filesystem>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"

namespace bf {

namespace {

constexpr int kMaxTokenizerJsonDepth = 8;
constexpr const char* kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD in UTF-8
constexpr const char* kMergeRule =
    "highest pair count (counted at every adjacent position, weighted by chunk count); ties: smallest left id, "
    "then smallest right id; replaced left to right";

// A token's bytes as JSON-safe text: printable ASCII (0x20..0x7E) as itself except the backslash, which is
// written twice; every other byte as \xHH (two lowercase hex digits). Unambiguous and readable.
std::string escape_token(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (c == '\\') out += "\\\\";
    else if (c >= 0x20 && c < 0x7F) out.push_back(static_cast<char>(c));
    else out += {'\\', 'x', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::vector<int32_t> lengths_of(const std::vector<std::string>& tokens) {
  std::vector<int32_t> lengths(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) lengths[i] = static_cast<int32_t>(tokens[i].size());
  return lengths;
}

// A value as JSON, cut to 60 characters for a message.
std::string brief(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return text.size() <= 60 ? text : text.substr(0, 57) + "...";
}

template <class T>
T field(const nlohmann::json& j, const char* key, const std::string& where) {
  BF_CHECK(j.contains(key), where, ": missing field \"", key, "\"");
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    fail(where, ": field \"", key, "\" has the wrong type (", j.at(key).type_name(), ")");
  }
}

}  // namespace

Tokenizer Tokenizer::bytes() {
  Tokenizer t;
  t.kind_ = Kind::bytes;
  t.token_bytes_ = bpe_token_bytes({});
  t.token_lengths_ = lengths_of(t.token_bytes_);
  return t;
}

Tokenizer Tokenizer::bpe(std::vector<BpeMerge> merges) {
  Tokenizer t;
  t.kind_ = Kind::bpe;
  t.token_bytes_ = bpe_token_bytes(merges);
  t.token_lengths_ = lengths_of(t.token_bytes_);
  t.encoder_ = std::make_shared<BpeEncoder>(merges);
  t.merges_ = std::move(merges);
  return t;
}

Tokenizer Tokenizer::train(const std::string& kind, int vocab_size, std::string_view train_text, BpeTrainStats* stats) {
  if (kind == "bytes") {
    BF_CHECK(vocab_size == 0 || vocab_size == kBpeByteTokens, "prepare: --vocab-size ", vocab_size,
             " with --tokenizer bytes, whose vocabulary is always 256 (use --tokenizer bpe for another size)");
    return bytes();
  }
  BF_CHECK(kind == "bpe", "prepare: --tokenizer '", kind, "', expected bytes or bpe");
  BF_CHECK(vocab_size != 0, "prepare: --tokenizer bpe needs --vocab-size N (257..65536)");
  BF_CHECK(vocab_size > kBpeByteTokens && vocab_size <= 65536, "prepare: --vocab-size ", vocab_size,
           " for --tokenizer bpe, expected 257..65536 (256 byte tokens plus at least one merge; ids fit 2 bytes)");
  return bpe(train_bpe(train_text, vocab_size, stats));
}

std::string Tokenizer::describe() const {
  if (kind_ == Kind::bytes) return "byte-level, vocab 256";
  return "BPE, vocab " + std::to_string(vocab_size()) + " (" + std::to_string(merges_.size()) + " merges)";
}

std::vector<uint16_t> Tokenizer::encode(std::string_view text) const {
  if (kind_ == Kind::bytes) return {reinterpret_cast<const unsigned char*>(text.data()),
                                    reinterpret_cast<const unsigned char*>(text.data()) + text.size()};
  return encoder_->encode(text);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) {
    if (id >= 0 && id < vocab_size()) out += token_bytes_[static_cast<size_t>(id)];
    else out += kReplacementCharacter;
  }
  return out;
}

int64_t Tokenizer::write_token_file(const std::string& path, const std::vector<uint8_t>& text) const {
  if (kind_ == Kind::bytes) {
    bf::write_token_file(path, kBpeByteTokens, text);
    return static_cast<int64_t>(text.size());
  }
  const std::vector<uint16_t> tokens =
      encoder_->encode(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  bf::write_token_file(path, vocab_size(), tokens);
  return static_cast<int64_t>(tokens.size());
}

std::string Tokenizer::token_file_bytes(const std::vector<uint8_t>& text, int64_t& tokens) const {
  if (kind_ == Kind::bytes) {
    tokens = static_cast<int64_t>(text.size());
    return encode_token_file(kBpeByteTokens, text);
  }
  const std::vector<uint16_t> ids =
      encoder_->encode(std::string_view(reinterpret_cast<const char*>(text.data()), text.size()));
  tokens = static_cast<int64_t>(ids.size());
  return encode_token_file(vocab_size(), ids);
}

std::string Tokenizer::to_json() const {
  // Written by hand rather than by nlohmann's dump(2), so that a merge or a token takes one line.
  std::ostringstream out;
  out << "{\n  \"format\": " << nlohmann::json(kTokenizerFormat).dump() << ",\n";
  out << "  \"type\": \"" << kind_name() << "\",\n";
  out << "  \"vocab_size\": " << vocab_size();
  if (kind_ == Kind::bpe) {
    out << ",\n  \"pre_split\": \"" << kPreSplitName << "\",\n";
    out << "  \"max_chunk_bytes\": " << kMaxChunkBytes << ",\n";
    out << "  \"merge_rule\": " << nlohmann::json(kMergeRule).dump() << ",\n";
    out << "  \"merges\": [";
    for (size_t k = 0; k < merges_.size(); ++k)
      out << (k ? ",\n    [" : "\n    [") << merges_[k].left << ", " << merges_[k].right << "]";
    out << "\n  ],\n  \"tokens\": [";
    for (size_t i = 0; i < token_bytes_.size(); ++i)
      out << (i ? ",\n    " : "\n    ") << nlohmann::json(escape_token(token_bytes_[i])).dump();
    out << "\n  ]";
  }
  out << "\n}\n";
  return out.str();
}

Tokenizer Tokenizer::from_json(const std::string& text, const std::string& where) {
  // A valid file nests 3 deep (the object, "merges", one merge). Deeper input is refused while parsing:
  // dumping a value nested ~100,000 deep (as a message might) recurses past the stack. A repeated top-level
  // key would silently keep the last value. A number beyond a double is nlohmann's out_of_range, not a
  // parse_error: every nlohmann exception becomes one bf::Error.
  std::set<std::string> top_keys;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    using Event = nlohmann::json::parse_event_t;
    if ((event == Event::object_start || event == Event::array_start) && depth >= kMaxTokenizerJsonDepth)
      fail(where, ": JSON nested more than ", kMaxTokenizerJsonDepth, " levels deep (a valid file nests 3)");
    if (event == Event::key && depth == 1 && !top_keys.insert(parsed.get<std::string>()).second)
      fail(where, ": duplicate key \"", parsed.get<std::string>(), "\"");
    return true;
  };
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text, on_event);
  } catch (const nlohmann::json::exception& e) {
    fail(where, ": not valid JSON (", e.what(), ")");
  }
  BF_CHECK(j.is_object(), where, ": expected a JSON object");
  const std::string format = field<std::string>(j, "format", where);
  BF_CHECK(format == kTokenizerFormat, where, ": format \"", format, "\", expected \"", kTokenizerFormat, "\"");
  const std::string type = field<std::string>(j, "type", where);
  const int64_t vocab = field<int64_t>(j, "vocab_size", where);
  if (type == "bytes") {
    BF_CHECK(vocab == kBpeByteTokens, where, ": vocab_size ", vocab, " for type bytes, expected 256");
    return bytes();
  }
  BF_CHECK(type == "bpe", where, ": type \"", type, "\", expected \"bytes\" or \"bpe\"");
  const std::string pre_split = field<std::string>(j, "pre_split", where);
  BF_CHECK(pre_split == kPreSplitName, where, ": pre_split \"", pre_split, "\", expected \"", kPreSplitName,
           "\" (the only rules this program knows)");
  const int64_t max_chunk = field<int64_t>(j, "max_chunk_bytes", where);
  BF_CHECK(max_chunk == kMaxChunkBytes, where, ": max_chunk_bytes ", max_chunk, ", expected ", kMaxChunkBytes);
  const nlohmann::json merges_json = field<nlohmann::json>(j, "merges", where);
  BF_CHECK(merges_json.is_array(), where, ": field \"merges\" should be an array of [left, right] pairs");
  BF_CHECK(vocab == kBpeByteTokens + static_cast<int64_t>(merges_json.size()), where, ": vocab_size ", vocab,
           " but ", merges_json.size(), " merges (vocab_size must be 256 + the number of merges)");
  BF_CHECK(vocab <= 65536, where, ": vocab_size ", vocab, ", expected at most 65536");
  std::vector<BpeMerge> merges;
  merges.reserve(merges_json.size());
  for (size_t k = 0; k < merges_json.size(); ++k) {
    const nlohmann::json& m = merges_json[k];
    const int64_t limit = kBpeByteTokens + static_cast<int64_t>(k);
    BF_CHECK(m.is_array() && m.size() == 2 && m[0].is_number_integer() && m[1].is_number_integer(), where,
             ": merges[", k, "] should be [left, right] (two integer ids)");
    const int64_t left = m[0].get<int64_t>(), right = m[1].get<int64_t>();
    BF_CHECK(left >= 0 && left < limit && right >= 0 && right < limit, where, ": merges[", k, "] = [", left, ", ",
             right, "], expected ids in 0..", limit - 1, " (tokens made before merge ", k, ", which makes id ", limit,
             ")");
    merges.push_back({static_cast<int32_t>(left), static_cast<int32_t>(right)});
  }
  Tokenizer t = bpe(std::move(merges));
  const nlohmann::json tokens = field<nlohmann::json>(j, "tokens", where);
  BF_CHECK(tokens.is_array() && static_cast<int64_t>(tokens.size()) == vocab, where,
           ": field \"tokens\" should be an array of vocab_size = ", vocab, " strings");
  for (size_t i = 0; i < tokens.size(); ++i) {
    const std::string expect = escape_token(t.token_bytes_[i]);
    BF_CHECK(tokens[i].is_string() && tokens[i].get<std::string>() == expect, where, ": tokens[", i, "] is ",
             brief(tokens[i]), ", but the merges make it ", nlohmann::json(expect).dump());
  }
  return t;
}

Tokenizer Tokenizer::load_folder(const std::string& dir) {
  const std::string path = (std::filesystem::path(dir) / kTokenizerFileName).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return bytes();
  return from_json(read_whole_file(path), path);
}

void keep_run_tokenizer(const std::string& run_dir, const Tokenizer& data_tokenizer, const std::string& data_dir,
                        bool resume) {
  const std::string path = (std::filesystem::path(run_dir) / kTokenizerFileName).string();
  const std::string text = data_tokenizer.to_json();
  std::error_code ec;
  if (resume && std::filesystem::exists(path, ec)) {
    const Tokenizer kept = Tokenizer::from_json(read_whole_file(path), path);
    BF_CHECK(kept.to_json() == text, "--resume: the tokenizer of data.dir ", data_dir, " (",
             data_tokenizer.describe(), ") is not the one this run was trained with (", path, ": ", kept.describe(),
             "); resume with the data the run started on");
    return;
  }
  write_file_atomically(path, text);
}

std::optional<Tokenizer> kept_tokenizer(const std::string& checkpoint_path) {
  const std::string path = (std::filesystem::path(checkpoint_path).parent_path() / kTokenizerFileName).string();
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::nullopt;
  return Tokenizer::from_json(read_whole_file(path), path);
}

Tokenizer data_tokenizer_for(const std::string& checkpoint_path, const std::string& data_dir) {
  Tokenizer tokenizer = Tokenizer::load_folder(data_dir);
  if (const std::optional<Tokenizer> kept = kept_tokenizer(checkpoint_path))
    BF_CHECK(kept->to_json() == tokenizer.to_json(), "the tokenizer of ", data_dir, " (", tokenizer.describe(),
             ") is not the one the checkpoint was trained with (",
             (std::filesystem::path(checkpoint_path).parent_path() / kTokenizerFileName).string(), ": ",
             kept->describe(), "); use the data folder the checkpoint was trained on (--data DIR)");
  return tokenizer;
}

int64_t text_bytes_of(const int32_t* ids, int64_t n, const std::vector<int32_t>& token_text_bytes) {
  int64_t total = 0;
  const auto size = static_cast<int64_t>(token_text_bytes.size());
  for (int64_t i = 0; i < n; ++i)
    if (ids[i] >= 0 && ids[i] < size) total += token_text_bytes[static_cast<size_t>(ids[i])];
  return total;
}

void check_data_vocabulary(const std::string& dir, const Tokenizer& tokenizer, int model_vocab_size,
                           const std::vector<const TokenFile*>& files, bool from_checkpoint) {
  const std::string tokenizer_path = (std::filesystem::path(dir) / kTokenizerFileName).string();
  std::error_code ec;
  const bool has_file = std::filesystem::exists(tokenizer_path, ec);
  const std::string source = has_file ? tokenizer_path : dir + " (no " + std::string(kTokenizerFileName) + ": bytes)";
  const std::string remedy = from_checkpoint ? "use the data folder the checkpoint was trained on (--data DIR)"
                                             : "set model.vocab_size to " + std::to_string(tokenizer.vocab_size()) +
                                                   " (--set model.vocab_size=" + std::to_string(tokenizer.vocab_size()) + ")";
  BF_CHECK(model_vocab_size >= tokenizer.vocab_size(), from_checkpoint ? "the checkpoint's " : "", "model.vocab_size = ",
           model_vocab_size, " is smaller than the data's vocabulary: ", tokenizer.describe(), " (", source, "); ",
           remedy);
  for (const TokenFile* file : files) {
    if (has_file)
      BF_CHECK(file->vocab_size() == tokenizer.vocab_size(), file->path(), ": vocab_size ", file->vocab_size(),
               " differs from the folder's tokenizer (", tokenizer.describe(), ", ", tokenizer_path,
               "); the folder mixes two preparations: run bareformer prepare again");
    else
      BF_CHECK(file->vocab_size() <= tokenizer.vocab_size(), file->path(), ": vocab_size ", file->vocab_size(),
               ", but ", dir, " has no ", kTokenizerFileName, ", so its tokens are bytes (vocab 256); "
               "prepare the folder with bareformer prepare, which writes one");
  }
}

}  // namespace bf
