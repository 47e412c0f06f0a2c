// The BPE tokenizer (text/bpe.h, text/tokenizer.h): pre-splitting, training against a naive
// rescan-per-merge reference, a hand-checked example, encoding, round trips (non-UTF-8 bytes included),
// tokenizer.json, determinism of `prepare --tokenizer bpe`, and bits per byte of the original text.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <map>
#include <sstream>
#include <numbers>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/rng.h"
#include "child_process.h"
#include "scratch.h"
#include "io/atomic_file.h"
#include "train/batches.h"
#include "text/bpe.h"
#include "train/checkpoint.h"
#include "text/corpus.h"
#include "train/sample.h"
#include "io/token_file.h"
#include "text/tokenizer.h"
#include "train/trainer.h"

namespace fs = std::filesystem;
using namespace bf;
using bf::test::read_bytes;
using bf::test::ScratchDir;
using bf::test::write_bytes;

namespace {

std::vector<std::string> chunks_of(const std::string& text) {
  std::vector<std::string> out;
  split_chunks(text, [&](std::string_view c) { out.emplace_back(c); });
  return out;
}

// The textbook algorithm, independent of the incremental trainer: every step recounts every pair of
// every chunk occurrence, takes the highest count (ties: smallest (left, right)) and rewrites the text.
std::vector<BpeMerge> naive_bpe(const std::string& text, int vocab_size) {
  std::vector<std::vector<int32_t>> words;
  for (const std::string& c : chunks_of(text)) {
    words.emplace_back();
    for (unsigned char b : c) words.back().push_back(b);
  }
  std::vector<BpeMerge> merges;
  while (256 + static_cast<int>(merges.size()) < vocab_size) {
    std::map<std::pair<int32_t, int32_t>, int64_t> counts;
    for (const auto& w : words)
      for (size_t i = 0; i + 1 < w.size(); ++i) ++counts[{w[i], w[i + 1]}];
    if (counts.empty()) break;
    auto best = counts.begin();
    for (auto it = counts.begin(); it != counts.end(); ++it)
      if (it->second > best->second) best = it;  // map order: the first of equal counts is the smallest pair
    const int32_t id = 256 + static_cast<int32_t>(merges.size());
    merges.push_back({best->first.first, best->first.second});
    for (auto& w : words) {
      std::vector<int32_t> out;
      for (size_t i = 0; i < w.size();) {
        if (i + 1 < w.size() && w[i] == best->first.first && w[i + 1] == best->first.second) {
          out.push_back(id);
          i += 2;
        } else {
          out.push_back(w[i++]);
        }
      }
      w = out;
    }
  }
  return merges;
}

bool same_merges(const std::vector<BpeMerge>& a, const std::vector<BpeMerge>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].left != b[i].left || a[i].right != b[i].right) return false;
  return true;
}

std::string decode16(const Tokenizer& t, const std::vector<uint16_t>& ids) {
  return t.decode(std::vector<int32_t>(ids.begin(), ids.end()));
}

// Random text over a small alphabet (many ties) with words, spaces, newlines and high bytes.
std::string random_text(uint64_t seed, size_t n) {
  const std::string alphabet = std::string("aab  \n_(.)") + "\xc3\xa9\xff\x80";
  Rng rng(seed);
  std::string s;
  for (size_t i = 0; i < n; ++i) s.push_back(alphabet[rng.below(alphabet.size())]);
  return s;
}

std::string source_text() {
  std::string text;
  for (const char* f : {"/text/bpe.cpp", "/text/corpus.cpp", "/README.md"})
    text += read_bytes(std::string(BF_SOURCE_DIR) + f);
  return text;
}

}  // namespace

TEST_CASE("bpe: split_chunks follows the documented rules and concatenates back to the text") {
  CHECK(chunks_of("def f(x):\n    return x  + 1") ==
        std::vector<std::string>{"def", " f", "(", "x", "):", "\n   ", " return", " x", " ", " +", " 1"});
  CHECK(chunks_of("  a\n\n b\t") == std::vector<std::string>{" ", " a", "\n\n", " b", "\t"});
  CHECK(chunks_of("caf\xc3\xa9 x2_y=\xff\xfe") == std::vector<std::string>{"caf\xc3\xa9", " x2_y", "=", "\xff\xfe"});
  CHECK(chunks_of(" ") == std::vector<std::string>{" "});
  CHECK(chunks_of("").empty());
  const std::string long_word(300, 'z');
  CHECK(chunks_of(long_word) == std::vector<std::string>{std::string(128, 'z'), std::string(128, 'z'), std::string(44, 'z')});
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const std::string text = random_text(seed, 2000);
    std::string joined;
    for (const std::string& c : chunks_of(text)) {
      CHECK(!c.empty());
      CHECK(c.size() <= static_cast<size_t>(kMaxChunkBytes));
      joined += c;
    }
    CHECK(joined == text);
  }
}

TEST_CASE("bpe: the hand-checked example aaabdaaabac") {
  // Pairs of "aaabdaaabac": aa 4 (two in each "aaa"), ab 2, bd da ba ac 1 -> Z = aa, "Z a b d Z a b a c".
  // Then Za 2 and ab 2 tie: the smaller pair (a, b) = (97, 98) wins over (256, 97) -> Y = ab, "Z Y d Z Y a c".
  // Then ZY 2 -> X = ZY, "X d X a c" (the sequence on Wikipedia's "Byte pair encoding" page).
  BpeTrainStats stats;
  const std::vector<BpeMerge> merges = train_bpe("aaabdaaabac", 259, &stats);
  REQUIRE(merges.size() == 3);
  CHECK((merges[0].left == 'a' && merges[0].right == 'a'));
  CHECK((merges[1].left == 'a' && merges[1].right == 'b'));
  CHECK((merges[2].left == 256 && merges[2].right == 257));
  CHECK(stats.tokens_after == 5);
  CHECK(stats.distinct_chunks == 1);
  const Tokenizer t = Tokenizer::bpe(merges);
  CHECK(t.token(258) == "aaab");
  CHECK(t.encode("aaabdaaabac") == std::vector<uint16_t>{258, 'd', 258, 'a', 'c'});
  CHECK(t.encode("aab") == std::vector<uint16_t>{256, 'b'});  // "aa" merges before "ab" (rank 0 < 1)
  CHECK(t.encode("ab") == std::vector<uint16_t>{257});
  CHECK(decode16(t, t.encode("aaabdaaabac")) == "aaabdaaabac");
  // No fourth merge: the text has run out of pairs, and the message gives the reachable vocabulary.
  CHECK_THROWS_WITH_AS(train_bpe("aaabdaaabac", 264), doctest::Contains("supports at most 263 tokens"), bf::Error);
}

TEST_CASE("bpe: incremental training equals the naive rescan-per-merge reference") {
  for (uint64_t seed = 0; seed < 6; ++seed) {
    const std::string text = random_text(seed, 3000);
    INFO("seed ", seed);
    const std::vector<BpeMerge> fast = train_bpe(text, 300);
    CHECK(same_merges(fast, naive_bpe(text, 300)));
  }
  const std::string code = source_text().substr(0, 40000);
  CHECK(same_merges(train_bpe(code, 400), naive_bpe(code, 400)));
}

TEST_CASE("bpe: encoding reproduces training's tokens, and round-trips any bytes") {
  const std::string text = source_text();
  BpeTrainStats stats;
  const Tokenizer t = Tokenizer::bpe(train_bpe(text, 1000, &stats));
  const std::vector<uint16_t> ids = t.encode(text);
  CHECK(static_cast<int64_t>(ids.size()) == stats.tokens_after);  // the merges replayed give training's own count
  CHECK(decode16(t, ids) == text);
  CHECK(ids.size() < text.size() / 2);  // it does compress code

  // The cache changes nothing: chunk by chunk without it gives the same tokens.
  std::vector<uint16_t> uncached;
  BpeEncoder encoder(t.merges());
  split_chunks(text, [&](std::string_view c) {
    const std::vector<uint16_t> part = encoder.encode_chunk(c);
    uncached.insert(uncached.end(), part.begin(), part.end());
  });
  CHECK(uncached == ids);

  // Every byte value, invalid UTF-8 and NUL included, in text it was not trained on.
  std::string all_bytes;
  for (int rep = 0; rep < 3; ++rep)
    for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  all_bytes += "\xff\xfe caf\xc3 \xa9\x80 self.x\r\n";
  CHECK(decode16(t, t.encode(all_bytes)) == all_bytes);
  CHECK(t.decode({65, 100000, -1}) == "A\xEF\xBF\xBD\xEF\xBF\xBD");  // outside the vocabulary: U+FFFD
  for (int32_t id = 0; id < t.vocab_size(); ++id)
    CHECK(t.token_text_bytes()[static_cast<size_t>(id)] == static_cast<int32_t>(t.token(id).size()));
}

TEST_CASE("bpe: tokenizer.json round-trips and names what is wrong in a bad one") {
  const Tokenizer t = Tokenizer::bpe(train_bpe(source_text(), 600));
  const std::string json = t.to_json();
  const Tokenizer back = Tokenizer::from_json(json, "tok.json");
  CHECK(same_merges(back.merges(), t.merges()));
  CHECK(back.to_json() == json);
  CHECK(Tokenizer::from_json(Tokenizer::bytes().to_json(), "b.json").kind() == Tokenizer::Kind::bytes);
  const nlohmann::json j = nlohmann::json::parse(json);
  CHECK(j["tokens"][92] == "\\\\");  // the backslash, written twice
  CHECK(j["tokens"][10] == "\\x0a");
  CHECK(j["tokens"][65] == "A");

  auto check_bad = [&](nlohmann::json bad, const std::string& expect) {
    CHECK_THROWS_WITH_AS(Tokenizer::from_json(bad.dump(), "tok.json"), doctest::Contains(expect.c_str()), bf::Error);
  };
  nlohmann::json bad = j;
  bad["merges"][3] = {5, 9999};
  check_bad(bad, "tok.json: merges[3] = [5, 9999], expected ids in 0..258");
  bad = j;
  bad["merges"].erase(bad["merges"].size() - 1);
  check_bad(bad, "vocab_size 600 but 343 merges");
  bad = j;
  bad["tokens"][300] = "zzz";
  check_bad(bad, "tokens[300] is \"zzz\", but the merges make it");
  bad = j;
  bad["pre_split"] = "gpt2";
  check_bad(bad, "pre_split \"gpt2\"");
  bad = j;
  bad.erase("merges");
  check_bad(bad, "missing field \"merges\"");
  CHECK_THROWS_WITH_AS(Tokenizer::from_json("{\"format\": 1", "tok.json"), doctest::Contains("tok.json: not valid JSON"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::from_json("{\"vocab_size\": 1e999}", "tok.json"),
                       doctest::Contains("tok.json: not valid JSON"), bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::from_json("{\"type\": \"bpe\", \"type\": \"bytes\"}", "tok.json"),
                       doctest::Contains("duplicate key \"type\""), bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::from_json(std::string(200000, '[') + std::string(200000, ']'), "tok.json"),
                       doctest::Contains("nested more than 8 levels deep"), bf::Error);
}

TEST_CASE("bpe: every truncation and single-byte corruption of tokenizer.json is accepted or one bf::Error") {
  const std::string json = Tokenizer::bpe(train_bpe("aaabdaaabac abab cabbage", 262)).to_json();
  int rejected = 0;
  auto must_not_crash = [&](const std::string& text) {
    try {
      const Tokenizer t = Tokenizer::from_json(text, "tok.json");
      CHECK(t.decode({0, 1}).size() == 2);  // an accepted file works
    } catch (const bf::Error&) {
      ++rejected;
    }
  };
  for (size_t n = 0; n < json.size(); ++n) must_not_crash(json.substr(0, n));
  CHECK(rejected == static_cast<int>(json.size()) - 1);  // every prefix but the one without the final newline
  Rng rng(7);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = json;
    bad[rng.below(bad.size())] = static_cast<char>(rng.below(256));
    must_not_crash(bad);
  }
}

TEST_CASE("bpe: prepare --tokenizer bpe trains on the training split only, round-trips every file, is deterministic") {
  ScratchDir src("bpe_src"), out_a("bpe_a"), out_b("bpe_b");
  // Files of code-like text, two of them with bytes that are not UTF-8.
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    std::string text;
    for (int line = 0; line < 40 + 7 * i; ++line)
      text += "def f" + std::to_string(i) + "_" + std::to_string(line % 9) + "(self, x):\n    return x * " +
              std::to_string(line) + "\n";
    if (i % 5 == 1) text += "latin1 caf\xe9 \xff\xfe\x80 bytes\n";
    names.push_back("m" + std::to_string(i) + ".py");
    write_bytes(src.path / names.back(), text);
  }
  PrepareOptions opts;
  opts.paths = {src.path.string()};
  opts.tokenizer = "bpe";
  opts.vocab_size = 400;
  opts.val_fraction = 0.2;
  opts.out_dir = out_a.path.string();
  const PrepareReport report = prepare_corpus(opts);
  opts.out_dir = out_b.path.string();
  prepare_corpus(opts);
  for (const char* f : {"tokenizer.json", "train.bin", "val.bin"}) {
    INFO(f);
    CHECK(read_bytes(out_a / f) == read_bytes(out_b / f));
  }

  const Tokenizer t = Tokenizer::load_folder(out_a.path.string());
  REQUIRE(t.kind() == Tokenizer::Kind::bpe);
  CHECK(t.vocab_size() == 400);
  const TokenFile train = TokenFile::load(out_a / "train.bin"), val = TokenFile::load(out_a / "val.bin");
  CHECK(train.bytes_per_token() == 2);
  CHECK(train.vocab_size() == 400);
  CHECK(report.train_tokens == train.size());
  CHECK(report.train_tokens < report.train_bytes / 2);

  // Each split decodes to its files joined by '\n' (corpus.json lists them), and every file round-trips.
  const nlohmann::json meta = nlohmann::json::parse(read_bytes(out_a / "corpus.json"));
  CHECK(meta["tokenizer"] == "BPE, vocab 400 (144 merges)");
  std::string train_text;
  for (const auto& f : meta["train"]["sources"])
    train_text += (train_text.empty() ? "" : "\n") + read_bytes(f["path"].get<std::string>());
  std::string val_text;
  for (const auto& f : meta["val"]["sources"])
    val_text += (val_text.empty() ? "" : "\n") + read_bytes(f["path"].get<std::string>());
  CHECK(t.decode(train.to_vector()) == train_text);
  CHECK(t.decode(val.to_vector()) == val_text);
  CHECK(meta["train"]["bytes"] == train_text.size());
  CHECK(meta["val"]["bytes"] == val_text.size());
  for (const std::string& name : names) {
    const std::string text = read_bytes(src.path / name);
    CHECK(decode16(t, t.encode(text)) == text);
  }

  // The merges come from the training split alone: training on its text gives the same tokenizer.
  CHECK(same_merges(train_bpe(train_text, 400), t.merges()));
  CHECK(!same_merges(train_bpe(train_text + "\n" + val_text, 400), t.merges()));

  // Re-preparing the folder byte-level replaces tokenizer.json too (no stale BPE left behind).
  opts.tokenizer = "bytes";
  opts.vocab_size = 0;
  prepare_corpus(opts);
  CHECK(Tokenizer::load_folder(out_b.path.string()).kind() == Tokenizer::Kind::bytes);
  CHECK(TokenFile::load(out_b / "train.bin").vocab_size() == 256);
}

TEST_CASE("bpe: vocabulary options and folder checks") {
  CHECK_THROWS_WITH_AS(Tokenizer::train("bpe", 0, "x"), doctest::Contains("--tokenizer bpe needs --vocab-size N"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::train("bpe", 256, "x"), doctest::Contains("expected 257..65536"), bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::train("bpe", 65537, "x"), doctest::Contains("expected 257..65536"), bf::Error);
  CHECK_THROWS_WITH_AS(Tokenizer::train("bytes", 512, "x"), doctest::Contains("--vocab-size 512 with --tokenizer bytes"),
                       bf::Error);
  CHECK(Tokenizer::train("bytes", 256, "x").vocab_size() == 256);

  ScratchDir dir("bpe_check");
  const Tokenizer t = Tokenizer::bpe(train_bpe(source_text(), 300));
  write_file_atomically(dir / "tokenizer.json", t.to_json());
  write_token_file(dir / "train.bin", 300, t.encode("def f(x): return x"));
  write_token_file(dir / "val.bin", 256, std::vector<uint8_t>{1, 2, 3});
  const TokenFile train = TokenFile::load(dir / "train.bin"), val = TokenFile::load(dir / "val.bin");
  CHECK_NOTHROW(check_data_vocabulary(dir.path.string(), t, 300, {&train}));
  CHECK_NOTHROW(check_data_vocabulary(dir.path.string(), t, 512, {&train}));
  CHECK_THROWS_WITH_AS(check_data_vocabulary(dir.path.string(), t, 256, {&train}),
                       doctest::Contains("model.vocab_size = 256 is smaller than the data's vocabulary: BPE, vocab 300"),
                       bf::Error);
  CHECK_THROWS_WITH_AS(check_data_vocabulary(dir.path.string(), t, 300, {&val}),
                       doctest::Contains("the folder mixes two preparations"), bf::Error);
}

TEST_CASE("bpe: bits per byte counts the original text's bytes the scored tokens cover") {
  const Tokenizer t = Tokenizer::bpe(train_bpe(source_text(), 400));
  const std::vector<uint16_t> ids = t.encode(source_text().substr(0, 20000));
  const TokenFile data = TokenFile::from_tokens(400, ids, "val.bin");
  ModelConfig mc = preset_model("pre_ln");
  mc.n_layer = 1, mc.d_model = 16, mc.n_head = 2, mc.vocab_size = 400, mc.max_seq_len = 16;
  const Gpt model(mc, 3, DType::f32, Device::cpu);
  const int batch = 4, seq_len = 16, batches = 3;
  const EvalResult r = evaluate_split(model, data, t.token_text_bytes(), batch, seq_len, batches);
  // Independently: the targets of each evaluated window, their text lengths summed.
  int64_t bytes = 0;
  for (int64_t start : eval_window_starts(data.size(), seq_len, batch * batches))
    for (int64_t i = start + 1; i <= start + seq_len; ++i) bytes += static_cast<int64_t>(t.token(data.token(i)).size());
  CHECK(r.tokens == int64_t{batch} * batches * seq_len);
  CHECK(r.text_bytes == bytes);
  CHECK(r.text_bytes > r.tokens + r.tokens / 2);  // well over a byte per token
  CHECK(r.bits_per_byte == doctest::Approx(r.loss * double(r.tokens) / std::numbers::ln2 / double(bytes)).epsilon(1e-12));
  CHECK(r.loss == doctest::Approx(evaluate(model, data, batch, seq_len, batches)).epsilon(1e-12));

  // Byte-level: one byte per token, so bits per byte is loss / ln 2.
  std::vector<uint16_t> raw(ids.size());
  const std::string text = source_text();
  for (size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<unsigned char>(text[i]);
  mc.vocab_size = 256;
  const Gpt byte_model(mc, 3, DType::f32, Device::cpu);
  const EvalResult b = evaluate_split(byte_model, TokenFile::from_tokens(256, raw), Tokenizer::bytes().token_text_bytes(),
                                      batch, seq_len, batches);
  CHECK(b.text_bytes == b.tokens);
  CHECK(b.bits_per_byte == doctest::Approx(b.loss / std::numbers::ln2).epsilon(1e-12));
}

TEST_CASE("bpe: a BPE folder trains, evaluates in bits per byte and samples text (bareformer prepare/train/eval/sample)") {
  ScratchDir dir("bpe_e2e");
  for (int f = 0; f < 6; ++f) {
    std::string text;
    const std::vector<std::string> names = {"value", "count", "index", "result", "buffer", "window", "token"};
    for (int i = 0; i < 120; ++i)
      text += "def " + names[(i + f) % 7] + "_" + std::to_string(i % 5) + "(self, " + names[i % 7] +
              "):\n    return self." + names[(i * 3) % 7] + " + " + std::to_string(i % 10) + "\n";
    write_bytes(dir.path / ("src/m" + std::to_string(f) + ".py"), text);
  }
  auto run = [&](const std::vector<std::string>& args) {
    const bf::test::ChildResult r = bf::test::run_bareformer(args, dir / "out.txt");
    INFO("bareformer ", args[0], ": ", r.output);
    REQUIRE(r.status == 0);
    return r.output;
  };
  const std::string prepared =
      run({"prepare", "--out", dir / "data", dir / "src", "--tokenizer", "bpe", "--vocab-size", "320"});
  CHECK(prepared.find("tokenizer: BPE, vocab 320 (64 merges)") != std::string::npos);
  write_bytes(dir / "tiny.json", R"({
  "model": {"preset": "pre_ln", "n_layer": 2, "d_model": 32, "n_head": 2, "vocab_size": 320, "max_seq_len": 16},
  "data": {"dir": ")" + dir / "data" + R"(", "seq_len": 16, "batch_size": 8},
  "optim": {"lr": 0.01},
  "run": {"steps": 40, "log_every": 20, "eval_every": 0, "eval_batches": 4, "threads": 1, "out_dir": ")" +
                                   dir / "run" + R"("}
})");
  run({"train", dir / "tiny.json"});

  nlohmann::json eval_event;
  std::istringstream lines(read_bytes(dir / "run/metrics.jsonl"));
  for (std::string line; std::getline(lines, line);)
    if (nlohmann::json e = nlohmann::json::parse(line); e["event"] == "eval") eval_event = e;
  REQUIRE(eval_event.is_object());
  const double loss = eval_event["val_loss"], bpb = eval_event["val_bpb"];
  const int64_t tokens = eval_event["val_tokens"], text_bytes = eval_event["val_text_bytes"];
  CHECK(tokens == 4 * 8 * 16);
  CHECK(text_bytes > 2 * tokens);  // BPE tokens of this text average well over two bytes
  CHECK(bpb == doctest::Approx(loss * double(tokens) / std::numbers::ln2 / double(text_bytes)).epsilon(1e-12));
  CHECK(loss < std::log(320.0));  // it learned something

  // eval scores the same windows: the same numbers, printed.
  const std::string evaluated = run({"eval", dir / "run/checkpoint.safetensors"});
  double eval_loss = 0, eval_bpb = 0;
  double perplexity = 0;
  REQUIRE(std::sscanf(evaluated.c_str(), "val loss %lf  perplexity %lf  bits/byte %lf", &eval_loss, &perplexity, &eval_bpb) == 3);
  CHECK(perplexity == doctest::Approx(std::exp(eval_loss)).epsilon(1e-5));
  CHECK(eval_loss == doctest::Approx(loss).epsilon(1e-5));
  CHECK(eval_bpb == doctest::Approx(bpb).epsilon(1e-5));

  // sample encodes the prompt and decodes the tokens through tokenizer.json: the CLI's text is what the
  // same model and tokenizer give in process.
  const std::string sampled =
      run({"sample", dir / "run/checkpoint.safetensors", "--prompt", "def f", "--tokens", "12", "--temperature", "0"});
  const CheckpointInfo info = read_checkpoint_info(dir / "run/checkpoint.safetensors");
  Gpt model(info.config.model, info.config.run.seed, DType::f32, Device::cpu);
  load_checkpoint(dir / "run/checkpoint.safetensors", model, nullptr);
  const Tokenizer t = Tokenizer::load_folder(dir / "data");
  const std::vector<uint16_t> prompt = t.encode("def f");
  SampleOptions options;
  options.tokens = 12, options.temperature = 0;
  const std::vector<int32_t> generated = sample_tokens(model, {prompt.begin(), prompt.end()}, options).tokens;
  CHECK(sampled == "def f" + t.decode(generated) + "\n");
  CHECK(t.decode(generated).size() > 12);  // more bytes than tokens: BPE tokens were decoded
}
