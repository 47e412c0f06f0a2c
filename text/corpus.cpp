#include "text/corpus.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/atomic_file.h"
#include "io/escaped_name.h"
#include "io/token_file.h"
#include "text/tokenizer.h"

namespace bf {

namespace fs = std::filesystem;

namespace {

constexpr size_t kBinaryProbeBytes = 8192;

struct Candidate {
  fs::path path;    // absolute, lexically normal
  std::string key;  // relative to the folder it was found in (file name for a file given directly)
  bool explicit_file = false;
};

struct Loaded {
  std::string path;
  std::string key;
  std::string bytes;
};

struct WalkRules {
  std::vector<std::string> extensions;  // empty: all
  std::vector<std::string> skip_dirs;   // folder names never entered
  fs::path out_dir;                     // never entered
};

bool is_hidden(const fs::path& p) {
  const std::string name = p.filename().string();
  return !name.empty() && name[0] == '.';
}

bool has_extension(const fs::path& p, const std::vector<std::string>& extensions) {
  if (extensions.empty()) return true;
  const std::string ext = p.extension().string();
  return std::find(extensions.begin(), extensions.end(), ext) != extensions.end();
}

fs::path normal_absolute(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

bool is_within(const fs::path& p, const fs::path& dir) {
  if (dir.empty()) return false;
  auto [dir_end, p_it] = std::mismatch(dir.begin(), dir.end(), p.begin(), p.end());
  // A trailing empty component (from "dir/") matches anything.
  return dir_end == dir.end() || (std::next(dir_end) == dir.end() && dir_end->empty());
}

void walk(const fs::path& root, const WalkRules& rules, std::vector<Candidate>& out) {
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  if (ec) fail("corpus: cannot read folder '", root.string(), "': ", ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) fail("corpus: error while reading folder '", root.string(), "': ", ec.message());
    const fs::directory_entry& entry = *it;
    const fs::path& p = entry.path();
    std::error_code type_ec;
    if (entry.is_directory(type_ec)) {
      const std::string name = p.filename().string();
      const bool skip = is_hidden(p) ||
                        std::find(rules.skip_dirs.begin(), rules.skip_dirs.end(), name) != rules.skip_dirs.end() ||
                        is_within(p, rules.out_dir) || fs::exists(p / "CMakeCache.txt", type_ec);
      if (skip) it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(type_ec) || is_hidden(p) || !has_extension(p, rules.extensions)) continue;
    if (is_within(p, rules.out_dir)) continue;
    out.push_back({p, p.lexically_relative(root).generic_string(), false});
  }
}

// Reads a whole file; `binary_at` is the offset of a NUL byte in its first 8 KiB, or -1.
std::string read_file(const fs::path& path, int64_t& binary_at) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("corpus: cannot open '", path.string(), "': ", std::strerror(errno));
  std::string bytes(kBinaryProbeBytes, '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<size_t>(in.gcount()));
  const size_t nul = bytes.find('\0');
  binary_at = nul == std::string::npos ? -1 : static_cast<int64_t>(nul);
  if (binary_at >= 0 || bytes.size() < kBinaryProbeBytes) {
    if (in.bad()) fail("corpus: read error in '", path.string(), "'");
    return bytes;
  }
  std::ostringstream rest;
  rest << in.rdbuf();
  if (in.bad()) fail("corpus: read error in '", path.string(), "'");
  bytes += rest.str();
  return bytes;
}

uint64_t fnv1a64(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

// The highest python3.N folder under root holding a standard library (os.py), or empty.
fs::path find_python_stdlib(const fs::path& root, int& minor) {
  std::error_code ec;
  fs::path best;
  minor = -1;
  if (!fs::is_directory(root, ec)) return best;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("python3.", 0) != 0 || name.size() == 8) continue;
    const std::string digits = name.substr(8);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) continue;
    if (digits.size() > 6) continue;
    const int n = std::stoi(digits);
    std::error_code os_ec;
    if (n > minor && fs::is_regular_file(it->path() / "os.py", os_ec)) {
      minor = n;
      best = it->path();
    }
  }
  return best;
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::string human_bytes(int64_t n) {
  std::ostringstream out;
  if (n < 1024) out << n << " bytes";
  else if (n < 1024ll * 1024) out << std::fixed << std::setprecision(1) << n / 1024.0 << " KiB";
  else out << std::fixed << std::setprecision(1) << n / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

std::vector<uint8_t> concat_files(const std::vector<const Loaded*>& files) {
  size_t total = files.empty() ? 0 : files.size() - 1;
  for (const Loaded* f : files) total += f->bytes.size();
  std::vector<uint8_t> out;
  out.reserve(total);
  for (size_t i = 0; i < files.size(); ++i) {
    if (i) out.push_back(0x0A);
    out.insert(out.end(), files[i]->bytes.begin(), files[i]->bytes.end());
  }
  return out;
}

}  // namespace

std::string PrepareReport::summary() const {
  std::ostringstream out;
  out << "source: " << source_description << "\n";
  out << "tokenizer: " << tokenizer_description << " -> " << (fs::path(out_dir) / "tokenizer.json").string() << "\n";
  out << "train:  " << n_files_train << " file(s), " << train_tokens << " tokens (" << human_bytes(train_bytes)
      << ") -> " << (fs::path(out_dir) / "train.bin").string() << "\n";
  out << "val:    " << n_files_val << " file(s), " << val_tokens << " tokens (" << human_bytes(val_bytes) << ") -> "
      << (fs::path(out_dir) / "val.bin").string();
  if (split_inside_file) out << "\n        (a single file: split inside it, its last bytes are validation)";
  if (n_skipped_binary > 0) out << "\nskipped " << n_skipped_binary << " binary-looking file(s)";
  if (n_skipped_over_limit > 0) out << "\nleft out " << n_skipped_over_limit << " file(s) beyond the byte limit";
  if (n_escaped_names > 0)
    out << "\n" << n_escaped_names << " file name(s) are not valid UTF-8; corpus.json shows their bytes as \\xNN";
  out << "\n";
  return out.str();
}

std::string PrepareReport::warning() const {
  const double share = double(val_bytes) / double(std::max<int64_t>(1, train_bytes + val_bytes));  // of the text
  if (split_inside_file || (share <= 2 * val_fraction && share >= val_fraction / 2)) return "";
  std::ostringstream out;
  out << std::setprecision(3) << "warning: validation is " << 100 * share << "% of the bytes, not the "
      << 100 * val_fraction << "% of --val-fraction " << val_fraction << ": whole files are held out, and "
      << n_files_train + n_files_val << " files of these sizes cannot come closer; give more (or smaller) files, "
      << "or a single file to split inside it\n";
  return out.str();
}

namespace {

void check_options(const PrepareOptions& opts) {
  BF_CHECK(!opts.out_dir.empty(), "prepare: out_dir is empty, expected a folder for train.bin and val.bin");
  BF_CHECK(opts.val_fraction > 0.0 && opts.val_fraction < 1.0, "prepare: val_fraction ", opts.val_fraction,
           ", expected a fraction strictly between 0 and 1");
  BF_CHECK(opts.max_bytes >= 0, "prepare: max_bytes ", opts.max_bytes, ", expected >= 0 (0: no limit)");
}

// Where the text comes from: the candidate files, the folders or files they were found under, the
// extension filter and byte limit in force, and the words for the report.
struct Sources {
  std::vector<Candidate> candidates;
  std::vector<std::string> roots;
  std::vector<std::string> extensions;
  int64_t max_bytes = 0;
  bool fallback_used = false;
  std::string description;
};

// The default corpus: the highest Python standard library under opts.python_lib_root, else the project's
// own sources (opts.fallback_dir).
Sources default_sources(const PrepareOptions& opts, const fs::path& out_dir) {
  Sources s;
  s.extensions = opts.extensions;
  s.max_bytes = opts.max_bytes == 0 ? kDefaultCorpusMaxBytes : opts.max_bytes;
  int minor = -1;
  const fs::path stdlib = find_python_stdlib(opts.python_lib_root, minor);
  if (!stdlib.empty()) {
    if (s.extensions.empty()) s.extensions = {".py"};
    const fs::path root = normal_absolute(stdlib);
    walk(root, {s.extensions, {"site-packages", "dist-packages", "__pycache__"}, out_dir}, s.candidates);
    s.roots.push_back(root.string());
    s.description = "default corpus: the Python 3." + std::to_string(minor) + " standard library at " +
                    root.string() + " (" + join(s.extensions, " ") + "; site-packages and dist-packages excluded)";
    return s;
  }
  BF_CHECK(!opts.fallback_dir.empty(), "prepare: no corpus paths given and no Python standard library found (no ",
           (fs::path(opts.python_lib_root) / "python3.N/os.py").string(), "); pass corpus files or folders explicitly");
  std::error_code ec;
  BF_CHECK(fs::is_directory(opts.fallback_dir, ec), "prepare: no Python standard library found under ",
           opts.python_lib_root, ", and the fallback folder '", opts.fallback_dir, "' does not exist");
  if (s.extensions.empty()) s.extensions = {".cpp", ".h", ".md"};
  const fs::path root = normal_absolute(opts.fallback_dir);
  walk(root, {s.extensions, {}, out_dir}, s.candidates);
  s.roots.push_back(root.string());
  s.fallback_used = true;
  s.description = "default corpus: no Python standard library found under " + opts.python_lib_root +
                  " (no python3.N folder with os.py), so the project's own sources at " + root.string() + " (" +
                  join(s.extensions, " ") + ")";
  return s;
}

// The files and folders the user named (opts.paths).
Sources given_sources(const PrepareOptions& opts, const fs::path& out_dir) {
  Sources s;
  s.extensions = opts.extensions;
  s.max_bytes = opts.max_bytes;
  for (const std::string& given : opts.paths) {
    std::error_code ec;
    const fs::path p = normal_absolute(given);
    const fs::file_status status = fs::status(p, ec);
    if (ec || !fs::exists(status)) fail("prepare: corpus path '", given, "' does not exist");
    if (fs::is_directory(status)) {
      walk(p, {s.extensions, {}, out_dir}, s.candidates);
    } else if (fs::is_regular_file(status)) {
      s.candidates.push_back({p, p.filename().generic_string(), true});
    } else {
      fail("prepare: corpus path '", given, "' is neither a regular file nor a folder");
    }
    s.roots.push_back(p.string());
  }
  // A shell glob can pass thousands of paths: name the first few, count the rest (corpus.json lists all).
  const size_t shown = std::min<size_t>(opts.paths.size(), 3);
  std::string named = join(std::vector<std::string>(opts.paths.begin(), opts.paths.begin() + shown), ", ");
  if (opts.paths.size() > shown) named += ", ... (" + std::to_string(opts.paths.size()) + " paths)";
  s.description = "user paths: " + named + " (" +
                  (s.extensions.empty() ? std::string("all text files") : join(s.extensions, " ")) + ")";
  return s;
}

// Byte-wise path order, duplicates (a file given directly and inside a given folder) once.
void sort_and_deduplicate(std::vector<Candidate>& candidates) {
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.path.native() != b.path.native() ? a.path.native() < b.path.native() : a.explicit_file > b.explicit_file;
  });
  candidates.erase(std::unique(candidates.begin(), candidates.end(),
                               [](const Candidate& a, const Candidate& b) { return a.path == b.path; }),
                   candidates.end());
}

// Reads the candidates in order while their total stays within the byte limit, leaving out empty and
// binary-looking files (a binary file named directly is an error); counts what was left out in `report`.
std::vector<Loaded> load_text_files(const Sources& sources, PrepareReport& report) {
  const std::vector<Candidate>& candidates = sources.candidates;
  std::vector<Loaded> files;
  int64_t total = 0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Candidate& c = candidates[i];
    std::error_code ec;
    const uintmax_t size = fs::file_size(c.path, ec);
    if (ec) fail("prepare: cannot read the size of '", c.path.string(), "': ", ec.message());
    if (sources.max_bytes > 0 && total + static_cast<int64_t>(size) > sources.max_bytes) {
      report.n_skipped_over_limit = static_cast<int64_t>(candidates.size() - i);
      break;
    }
    int64_t binary_at = -1;
    std::string bytes = read_file(c.path, binary_at);
    if (binary_at >= 0) {
      BF_CHECK(!c.explicit_file, "prepare: '", c.path.string(), "' looks binary (a NUL byte at byte offset ",
               binary_at, "); expected a text file");
      ++report.n_skipped_binary;
      continue;
    }
    if (bytes.empty()) continue;
    total += static_cast<int64_t>(bytes.size());
    files.push_back({c.path.string(), c.key, std::move(bytes)});
  }
  BF_CHECK(!files.empty(), "prepare: no usable text files in ", join(sources.roots, ", "), " (",
           candidates.size(), " candidate file(s)",
           (sources.extensions.empty() ? std::string() : ", extensions " + join(sources.extensions, " ")), ", ",
           report.n_skipped_binary, " binary-looking, limit ", sources.max_bytes, " bytes)");
  return files;
}

// The two splits' text, and the files each holds.
struct Split {
  std::vector<uint8_t> train_text, val_text;
  std::vector<const Loaded*> train_files, val_files;
  bool inside_file = false;
};

// Validation: whole files in FNV-1a(key) order until val_fraction of the bytes, or the end of a single
// file (see corpus.h).
Split split_validation(const std::vector<Loaded>& files, double val_fraction) {
  Split split;
  if (files.size() == 1) {
    const std::string& bytes = files[0].bytes;
    const int64_t n = static_cast<int64_t>(bytes.size());
    BF_CHECK(n >= 2, "prepare: the only corpus file '", files[0].path, "' has ", n,
             " byte(s); a single-file corpus is split inside the file and needs at least 2");
    const int64_t n_val = std::clamp<int64_t>(std::llround(val_fraction * static_cast<double>(n)), 1, n - 1);
    split.train_text.assign(bytes.begin(), bytes.end() - n_val);
    split.val_text.assign(bytes.end() - n_val, bytes.end());
    split.train_files.push_back(&files[0]);
    split.val_files.push_back(&files[0]);
    split.inside_file = true;
    return split;
  }
  int64_t total = 0;
  for (const Loaded& f : files) total += static_cast<int64_t>(f.bytes.size());
  std::vector<size_t> rank(files.size());
  std::iota(rank.begin(), rank.end(), size_t{0});
  std::vector<uint64_t> hash(files.size());
  for (size_t i = 0; i < files.size(); ++i) hash[i] = fnv1a64(files[i].key);
  std::sort(rank.begin(), rank.end(), [&](size_t a, size_t b) { return hash[a] != hash[b] ? hash[a] < hash[b] : a < b; });
  std::vector<bool> is_val(files.size(), false);
  const double target = val_fraction * static_cast<double>(total);
  int64_t val_bytes = 0;
  size_t n_val = 0;
  for (size_t r : rank) {
    if (static_cast<double>(val_bytes) >= target || n_val + 1 == files.size()) break;
    is_val[r] = true;
    val_bytes += static_cast<int64_t>(files[r].bytes.size());
    ++n_val;
  }
  for (size_t i = 0; i < files.size(); ++i) (is_val[i] ? split.val_files : split.train_files).push_back(&files[i]);
  split.train_text = concat_files(split.train_files);
  split.val_text = concat_files(split.val_files);
  return split;
}

// corpus.json: where the text came from, the options, every file of each split with its size, and the
// counts. Names that are not UTF-8 cannot go into JSON as they are: stored with \xNN escapes
// (escaped_name.h), counted in report.n_escaped_names.
nlohmann::json corpus_index(const PrepareOptions& opts, Sources sources, const Split& split, PrepareReport& report) {
  auto file_list = [&](const std::vector<const Loaded*>& list) {
    nlohmann::json out = nlohmann::json::array();
    for (const Loaded* f : list) {
      const bool valid = is_valid_utf8(f->path);
      report.n_escaped_names += valid ? 0 : 1;
      out.push_back({{"path", valid ? f->path : escape_invalid_utf8(f->path)}, {"bytes", f->bytes.size()}});
    }
    return out;
  };
  for (std::string& root : sources.roots) root = escape_invalid_utf8(root);
  report.source_description = escape_invalid_utf8(report.source_description);
  nlohmann::json meta = {
      {"format", "bareformer corpus 1"},
      {"tokenizer", report.tokenizer_description},
      {"tokenizer_file", kTokenizerFileName},
      {"source", report.source_description},
      {"default_corpus", report.default_corpus},
      {"fallback_used", sources.fallback_used},
      {"roots", sources.roots},
      {"extensions", sources.extensions},
      {"val_fraction", opts.val_fraction},
      {"max_bytes", sources.max_bytes},
      {"file_order", "sorted by path, byte-wise"},
      {"separator", "one 0x0A byte between consecutive files of a split"},
      {"val_selection",
       report.split_inside_file
           ? "single file: its last max(1, round(val_fraction * bytes)) bytes are validation"
           : "whole files ranked by FNV-1a-64 of the path relative to its root, taken until val_fraction of bytes"},
      {"skipped_binary", report.n_skipped_binary},
      {"skipped_over_limit", report.n_skipped_over_limit},
      {"train", {{"file", "train.bin"}, {"files", report.n_files_train}, {"tokens", report.train_tokens},
                 {"bytes", report.train_bytes}, {"sources", file_list(split.train_files)}}},
      {"val", {{"file", "val.bin"}, {"files", report.n_files_val}, {"tokens", report.val_tokens},
               {"bytes", report.val_bytes}, {"sources", file_list(split.val_files)}}},
  };
  meta["escaped_names"] = report.n_escaped_names;
  return meta;
}

}  // namespace

PrepareReport prepare_corpus(const PrepareOptions& opts) {
  check_options(opts);
  PrepareReport report;
  report.out_dir = opts.out_dir;
  report.default_corpus = opts.paths.empty();
  report.val_fraction = opts.val_fraction;
  const fs::path out_dir = normal_absolute(opts.out_dir);

  Sources sources = report.default_corpus ? default_sources(opts, out_dir) : given_sources(opts, out_dir);
  report.source_description = sources.description;
  sort_and_deduplicate(sources.candidates);
  const std::vector<Loaded> files = load_text_files(sources, report);
  const Split split = split_validation(files, opts.val_fraction);
  report.split_inside_file = split.inside_file;
  report.n_files_train = static_cast<int64_t>(split.train_files.size());
  report.n_files_val = static_cast<int64_t>(split.val_files.size());

  // The tokenizer learns from the training split only; validation text is never seen before evaluation.
  const Tokenizer tokenizer = Tokenizer::train(
      opts.tokenizer, opts.vocab_size,
      std::string_view(reinterpret_cast<const char*>(split.train_text.data()), split.train_text.size()));
  report.tokenizer_description = tokenizer.describe();
  report.train_bytes = static_cast<int64_t>(split.train_text.size());
  report.val_bytes = static_cast<int64_t>(split.val_text.size());
  const std::string train_file = tokenizer.token_file_bytes(split.train_text, report.train_tokens);
  const std::string val_file = tokenizer.token_file_bytes(split.val_text, report.val_tokens);
  const nlohmann::json index = corpus_index(opts, std::move(sources), split, report);

  // The four files as one set: all encoded first, then written so that a failure leaves none of them
  // changed, and corpus.json (the index) is never beside a tokenizer or token files it does not describe.
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) fail("prepare: cannot create the output folder '", opts.out_dir, "': ", ec.message());
  write_files_atomically({{(out_dir / kTokenizerFileName).string(), tokenizer.to_json()},
                          {(out_dir / "train.bin").string(), train_file},
                          {(out_dir / "val.bin").string(), val_file},
                          {(out_dir / "corpus.json").string(), index.dump(2) + "\n"}});
  return report;
}

}  // namespace bf
