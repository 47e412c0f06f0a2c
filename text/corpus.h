// Corpus preparation (`bareformer prepare`): text files -> token files train.bin and val.bin.
//
// The tokenizer (text/tokenizer.h) is byte-level by default: every byte is one token, vocab 256, so any
// text (any encoding) is representable and nothing needs to be trained. With tokenizer "bpe" a byte-level
// BPE of vocab_size tokens is trained on the training split's text only (text/bpe.h), and both splits
// are encoded with it (2 bytes per token).
//
// What is read
//   - opts.paths empty: the default corpus, the Python standard library of the highest python3.N found
//     under opts.python_lib_root (/usr/lib): every *.py file below /usr/lib/python3.N, except those under
//     site-packages/ and dist-packages/ (third-party code that differs from machine to machine) and
//     hidden folders. Test suites are kept (they are Python code too). Capped at
//     kDefaultCorpusMaxBytes unless opts.max_bytes says otherwise. When no such folder exists, the
//     project's own sources are used instead (opts.fallback_dir: *.cpp *.h *.md), and the report says so.
//   - opts.paths given: each path is a file (always taken; an error if it looks binary) or a folder,
//     walked recursively, taking every regular file whose extension is in opts.extensions (all files
//     when empty), skipping hidden files and folders (names starting with '.', e.g. .git), files that
//     look binary (a NUL byte in the first 8 KiB), empty files and anything inside opts.out_dir.
//   Files are sorted by path (byte-wise) and de-duplicated, so the result never depends on directory
//   order or creation order. With max_bytes > 0, files are taken in that order while their total size
//   stays within max_bytes; the first file that would exceed it ends the list.
//
// How validation is held out (whole files)
//   Each file gets a key: its path relative to the folder it was found in (its file name when given
//   directly). Files are ranked by the 64-bit FNV-1a hash of that key (ties by path) and, in rank order,
//   moved to validation until validation holds at least val_fraction of all bytes, always leaving at
//   least one file for training. The choice is thus spread over the corpus rather than one folder, does
//   not depend on where the corpus lives, and adding a file moves few others. A corpus of a single file
//   is split inside that file instead: its last max(1, round(val_fraction * bytes)) bytes are
//   validation, the rest training (the file needs at least 2 bytes).
//
// How files are joined
//   Within each split, files are concatenated in sorted path order with one byte 0x0A ('\n') between
//   consecutive files (none after the last), so a file boundary reads as a line break.
//
// Output, in out_dir (created if needed): tokenizer.json (docs/tokenizer.md), train.bin and val.bin
// (token files, see io/token_file.h) and corpus.json (where the text came from, options, every file
// of each split with its size, token and byte counts; a file name that is not valid UTF-8 is stored with
// \xNN escapes, io/escaped_name.h). They are written as one set (write_files_atomically): a failure
// changes none of them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bf {

inline constexpr int64_t kDefaultCorpusMaxBytes = 64ll << 20;

struct PrepareOptions {
  std::string out_dir;
  std::vector<std::string> paths;        // files or folders; empty: the default corpus
  double val_fraction = 0.1;             // of bytes, held out by whole files; in (0, 1)
  std::vector<std::string> extensions;   // folder filter (".py"); empty: all text files (default corpus: .py)
  int64_t max_bytes = 0;                 // 0: no limit (the default corpus: kDefaultCorpusMaxBytes)
  std::string fallback_dir;              // the project's source tree, used when no Python stdlib is found
  std::string python_lib_root = "/usr/lib";  // where python3.N folders are looked for
  std::string tokenizer = "bytes";       // bytes | bpe
  int vocab_size = 0;                    // bpe: 257..65536 (required); bytes: 0 or 256
};

struct PrepareReport {
  std::string source_description;  // where the text came from, in words
  bool default_corpus = false;     // opts.paths was empty
  std::string out_dir;
  int64_t n_files_train = 0;
  int64_t n_files_val = 0;
  int64_t train_tokens = 0;
  int64_t val_tokens = 0;
  int64_t n_skipped_binary = 0;     // folder files that looked binary
  int64_t n_skipped_over_limit = 0; // files left out by max_bytes
  bool split_inside_file = false;   // single-file corpus, split by bytes
  std::string tokenizer_description;  // Tokenizer::describe()
  int64_t train_bytes = 0;          // text bytes of each split (equal to the tokens for byte-level)
  int64_t val_bytes = 0;
  double val_fraction = 0.1;        // as asked
  int64_t n_escaped_names = 0;      // file names that are not UTF-8, stored escaped in corpus.json

  std::string summary() const;  // a few human-readable lines, each ending in a newline
  // A line when whole-file holding-out made the validation share more than 2x off val_fraction (either
  // way), else empty.
  std::string warning() const;
};

PrepareReport prepare_corpus(const PrepareOptions& opts);

}  // namespace bf
