// A tiny generated corpus for training tests: train.bin and val.bin in a fresh temp folder.
#pragma once
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/rng.h"
#include "io/token_file.h"
#include "quiet_training.h"

namespace bf::test {

// A corpus with learnable structure: lines of a few repeating keywords.
inline std::filesystem::path make_corpus(const std::string& name) {
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("bf_train_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::vector<std::string> words = {"def ", "return ", "self", ".x", " = ", "(", ")", ":\n", "    ", "if "};
  Rng rng(1);
  std::vector<uint8_t> train, val;
  for (int i = 0; i < 6000; ++i) {
    const std::string& w = words[rng.below(words.size())];
    auto& out = i < 5000 ? train : val;
    out.insert(out.end(), w.begin(), w.end());
  }
  write_token_file((dir / "train.bin").string(), 256, train);
  write_token_file((dir / "val.bin").string(), 256, val);
  return dir;
}

}  // namespace bf::test
