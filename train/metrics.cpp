#include "train/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "train/atomic_file.h"

namespace bf {

MetricsLog::MetricsLog(const std::string& path, int64_t keep_up_to) : path_(path) {
  if (keep_up_to >= 0) {
    std::ifstream in(path);
    std::ostringstream kept;
    std::string line;
    while (std::getline(in, line)) {
      auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (event.is_discarded()) continue;  // a line cut short by a crash
      // A line that is not a step-numbered event (hand-edited, damaged) is dropped rather than trusted.
      if (!event.is_object() || !event.contains("step") || !event["step"].is_number_integer() ||
          event["step"].get<int64_t>() > keep_up_to)
        continue;
      kept << line << '\n';
      if (event.contains("event") && event["event"].is_string()) ++kept_events_[event["event"].get<std::string>()];
      if (event.contains("elapsed_s") && event["elapsed_s"].is_number())
        kept_elapsed_s_ = std::max(kept_elapsed_s_, event["elapsed_s"].get<double>());
    }
    write_file_atomically(path, kept.str());
  }
  file_ = std::fopen(path.c_str(), keep_up_to >= 0 ? "a" : "w");
  BF_CHECK(file_ != nullptr, path, ": cannot open the metrics file for appending (", std::strerror(errno), ")");
}

int64_t MetricsLog::kept_events(const std::string& kind) const {
  auto it = kept_events_.find(kind);
  return it == kept_events_.end() ? 0 : it->second;
}

MetricsLog::~MetricsLog() {
  if (file_) std::fclose(file_);
}

void MetricsLog::write(const nlohmann::json& event) {
  const std::string line = event.dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0)
    fail(path_, ": cannot write metrics (", std::strerror(errno), ")");
}

}  // namespace bf
