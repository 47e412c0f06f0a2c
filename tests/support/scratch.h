// Scratch folders and whole-file helpers shared by the train suite's tests.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "io/token_file.h"

namespace bf::test {

// A fresh folder under the system temp dir, unique per process and per use ("bf_TAG_PID_N"), removed
// when it goes out of scope (write permission restored first, for tests that made it read-only).
struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("bf_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ignored);
    std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  std::vector<std::string> entries() const {  // file names directly inside, sorted
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

// Writes `bytes` to `path`, creating its parent folders; throws if the file cannot be written.
inline void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.good()) throw std::runtime_error("cannot write " + path.string());
}

// The whole content of `path`; "" when it cannot be opened (a missing output file reads as empty).
inline std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A tiny corpus of one repeated Python function, as DIR/data/train.bin (7,200 byte tokens) and
// DIR/data/val.bin (its first 200): enough for runs of a few steps that train in well under a second.
inline void write_tiny_corpus(const ScratchDir& dir) {
  std::vector<uint8_t> text;
  for (int i = 0; i < 300; ++i)
    for (char c : std::string("def f(x):\n    return x\n")) text.push_back(static_cast<uint8_t>(c));
  std::filesystem::create_directories(dir.path / "data");
  bf::write_token_file(dir / "data/train.bin", 256, text);
  bf::write_token_file(dir / "data/val.bin", 256, std::vector<uint8_t>(text.begin(), text.begin() + 200));
}

// A tiny corpus and config: 2 layers, d 16, 2 steps; `bareformer train DIR/tiny.json` trains in well
// under a second.
inline void make_tiny_run_files(const ScratchDir& dir) {
  bf::test::write_tiny_corpus(dir);
  write_bytes(dir / "tiny.json", R"({
  "model": {"preset": "pre_ln", "n_layer": 2, "d_model": 16, "n_head": 2, "max_seq_len": 16},
  "data": {"dir": ")" + dir / "data" + R"(", "seq_len": 16, "batch_size": 2},
  "run": {"steps": 2, "eval_every": 0, "eval_batches": 1, "threads": 1, "out_dir": ")" + dir / "run" + R"("}
})");
}

}  // namespace bf::test
