#include "train/provenance.h"

#include <unistd.h>

#include <cctype>
#include <ctime>
#include <string_view>
#include <vector>

#include "backends/kernels.h"

namespace bf {
namespace {

std::vector<std::string>& recorded_words() {
  static std::vector<std::string> words;
  return words;
}

}  // namespace

std::string version_line() { return std::string("bareformer ") + build_version() + " (commit " + build_commit() + ")"; }

void record_command_line(int argc, const char* const* argv) {
  recorded_words().assign(argv, argv + argc);
}

std::string shell_quote(const std::string& word) {
  if (word.empty()) return "''";
  bool plain = true;
  for (unsigned char c : word)
    if (!(std::isalnum(c) || std::string_view("_-./=:,+@%").find(char(c)) != std::string_view::npos)) plain = false;
  if (plain) return word;
  // Inside single quotes nothing is special but the quote itself, written as '\''.
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string command_line() {
  std::string line;
  for (const std::string& word : recorded_words()) {
    if (!line.empty()) line += ' ';
    line += shell_quote(word);
  }
  return line;
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "unknown";
  return name;
}

std::string utc_iso8601(std::chrono::system_clock::time_point when) {
  const std::time_t t = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

nlohmann::json run_provenance() {
  return {{"version", build_version()},
          {"commit", build_commit()},
          {"command", command_line()},
          {"host", host_name()},
          {"started_utc", utc_iso8601(std::chrono::system_clock::now())},
          {"threads", cpu_threads()},
          {"gemm", gemm_provider_name()}};
}

}  // namespace bf
