// bench_bpe: training the BPE tokenizer and encoding with it, on the training split of the corpus
// `bareformer prepare` reads by default (or of given paths), as `prepare --tokenizer bpe` runs them.
//
//   ./build/bench/bench_bpe [--vocab-sizes 1024,4096,8192] [--repeats 3] [--threads-note] [PATHS...]
//
// Prints two tables. Training: for each vocabulary, the median wall time of train_bpe over --repeats
// runs, the CPU time of the median run, merges per second, chunk occurrences and distinct chunks, and
// the training split's bytes per token after the merges. Encoding, with the 4096 merges when that size
// is listed (else the largest): a fresh encoder over the whole training split (cold chunk cache), the
// same encoder again (warm), the validation split with a fresh encoder (text it was not trained on),
// and decoding; MB/s are 10^6 bytes of text per second, on one thread.
// Then a check: every file of the corpus encoded on its own decodes back to its bytes (the program
// exits 1 otherwise). The machine's load average is printed before and after, since other processes
// share the cores. Targets: training to 4096 under 60 s, encoding at least 5 MB/s.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/atomic_file.h"
#include "text/bpe.h"
#include "text/corpus.h"
#include "io/token_file.h"
#include "text/tokenizer.h"

namespace {

using Clock = std::chrono::steady_clock;

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a.empty() ? "unknown" : a + " " + b + " " + c + " (1, 5, 15 min)";
}

std::string split_text(const std::string& path) {
  const bf::TokenFile f = bf::TokenFile::load(path);
  std::string text;
  text.reserve(static_cast<size_t>(f.size()));
  for (int32_t t : f.to_vector()) text.push_back(static_cast<char>(t));
  return text;
}

int usage(const char* why, int status = 2) {
  std::fprintf(status == 0 ? stdout : stderr,
               "%s\nusage: bench_bpe [--vocab-sizes N,N,...] [--repeats R] [PATHS...]\n"
               "  --vocab-sizes  vocabularies to train (default 1024,4096,8192)\n"
               "  --repeats      timed training runs per vocabulary, median reported (default 3)\n"
               "  PATHS          corpus files or folders (default: the corpus `bareformer prepare` reads)\n",
               why);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> vocab_sizes = {1024, 4096, 8192};
  int repeats = 3;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") return usage("bench_bpe: BPE training and encoding speed", 0);
    if (flag == "--vocab-sizes" || flag == "--repeats") {
      if (i + 1 >= argc) return usage(("bench_bpe: " + flag + " needs a value").c_str());
      const std::string value = argv[++i];
      try {
        if (flag == "--repeats") {
          repeats = std::stoi(value);
          if (repeats < 1) return usage("bench_bpe: --repeats must be >= 1");
        } else {
          vocab_sizes.clear();
          std::stringstream list(value);
          for (std::string item; std::getline(list, item, ',');) vocab_sizes.push_back(std::stoi(item));
        }
      } catch (const std::exception&) {
        return usage(("bench_bpe: " + flag + " " + value + " is not a number (list)").c_str());
      }
    } else if (flag.rfind("-", 0) == 0) {
      return usage(("bench_bpe: unknown flag " + flag).c_str());
    } else {
      paths.push_back(flag);
    }
  }

  // The corpus as prepare sees it: byte-level token files in a scratch folder, read back as text.
  const std::filesystem::path scratch =
      std::filesystem::temp_directory_path() / ("bench_bpe_" + std::to_string(::getpid()));
  bf::PrepareOptions prep;
  prep.out_dir = scratch.string();
  prep.paths = paths;
  prep.fallback_dir = BF_SOURCE_DIR;
  const bf::PrepareReport report = bf::prepare_corpus(prep);
  const std::string train_text = split_text((scratch / "train.bin").string());
  const std::string val_text = split_text((scratch / "val.bin").string());
  const nlohmann::json meta = nlohmann::json::parse(bf::read_whole_file((scratch / "corpus.json").string()));
  std::filesystem::remove_all(scratch);

  std::printf("corpus: %s\n", report.source_description.c_str());
  std::printf("training split: %lld files, %.2f MB; validation split: %lld files, %.2f MB\n",
              static_cast<long long>(report.n_files_train), double(train_text.size()) / 1e6,
              static_cast<long long>(report.n_files_val), double(val_text.size()) / 1e6);
  std::printf("load average before: %s\n\n", load_average().c_str());

  std::printf("%-7s %9s %9s %10s %9s %9s %11s\n", "vocab", "wall s", "cpu s", "merges/s", "chunks", "distinct",
              "bytes/token");
  std::vector<bf::BpeMerge> encode_merges;
  int encode_vocab = 0;
  for (int vocab : vocab_sizes) {
    std::vector<double> walls, cpus;
    std::vector<bf::BpeMerge> merges;
    bf::BpeTrainStats stats;
    for (int r = 0; r < repeats; ++r) {
      const double c0 = cpu_seconds();
      const auto t0 = Clock::now();
      merges = bf::train_bpe(train_text, vocab, &stats);
      walls.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
      cpus.push_back(cpu_seconds() - c0);
    }
    std::vector<size_t> order(walls.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return walls[a] < walls[b]; });
    const size_t median = order[order.size() / 2];
    std::printf("%-7d %9.2f %9.2f %10.0f %9lld %9lld %11.3f\n", vocab, walls[median], cpus[median],
                double(merges.size()) / walls[median], static_cast<long long>(stats.chunks),
                static_cast<long long>(stats.distinct_chunks), double(stats.text_bytes) / double(stats.tokens_after));
    if (encode_vocab == 0 || vocab == 4096 || (encode_vocab != 4096 && vocab > encode_vocab)) {
      encode_vocab = vocab;
      encode_merges = merges;
    }
  }
  if (encode_vocab == 0) return 0;

  const bf::Tokenizer tokenizer = bf::Tokenizer::bpe(encode_merges);
  bf::BpeEncoder encoder(encode_merges);
  auto timed_encode = [&](const std::string& text, std::vector<uint16_t>& out) {
    out.clear();
    const auto t0 = Clock::now();
    encoder.encode(text, out);
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  std::vector<uint16_t> ids;
  std::printf("\nencoding with vocab %d\n%-34s %9s %9s %11s\n", encode_vocab, "what", "MB", "MB/s", "bytes/token");
  const double cold = timed_encode(train_text, ids);
  const size_t train_tokens = ids.size();
  std::printf("%-34s %9.2f %9.1f %11.3f\n", "train split, fresh encoder (cold)", double(train_text.size()) / 1e6,
              double(train_text.size()) / 1e6 / cold, double(train_text.size()) / double(train_tokens));
  const double warm = timed_encode(train_text, ids);
  std::printf("%-34s %9.2f %9.1f %11.3f\n", "train split again (warm cache)", double(train_text.size()) / 1e6,
              double(train_text.size()) / 1e6 / warm, double(train_text.size()) / double(ids.size()));
  bf::BpeEncoder fresh(encode_merges);
  std::vector<uint16_t> val_ids;
  const auto v0 = Clock::now();
  fresh.encode(val_text, val_ids);
  const double val_s = std::chrono::duration<double>(Clock::now() - v0).count();
  std::printf("%-34s %9.2f %9.1f %11.3f\n", "val split, fresh encoder (unseen)", double(val_text.size()) / 1e6,
              double(val_text.size()) / 1e6 / val_s, double(val_text.size()) / double(val_ids.size()));
  const std::vector<int32_t> wide(ids.begin(), ids.end());
  const auto d0 = Clock::now();
  const std::string decoded = tokenizer.decode(wide);
  const double decode_s = std::chrono::duration<double>(Clock::now() - d0).count();
  std::printf("%-34s %9.2f %9.1f %11s\n", "decode train split", double(decoded.size()) / 1e6,
              double(decoded.size()) / 1e6 / decode_s, "");

  // Round trip: the whole split, then every file of the corpus on its own.
  int failures = decoded == train_text ? 0 : 1;
  if (failures) std::printf("ROUND TRIP FAILED: the training split does not decode to its text\n");
  int64_t files = 0;
  for (const char* split : {"train", "val"})
    for (const auto& f : meta[split]["sources"]) {
      const std::string path = f["path"].get<std::string>();
      const std::string text = bf::read_whole_file(path);
      const std::vector<uint16_t> file_ids = encoder.encode(text);
      if (tokenizer.decode(std::vector<int32_t>(file_ids.begin(), file_ids.end())) != text) {
        std::printf("ROUND TRIP FAILED: %s\n", path.c_str());
        ++failures;
      }
      ++files;
    }
  std::printf("\nround trip: %lld files encoded one by one, %d mismatches\n", static_cast<long long>(files), failures);
  std::printf("load average after: %s\n", load_average().c_str());
  return failures == 0 ? 0 : 1;
}
