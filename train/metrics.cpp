#include "train/metrics.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "core/error.h"
#include "io/atomic_file.h"

namespace bf {

MetricsLog::MetricsLog(const std::string& path, int64_t keep_up_to) : path_(path) {
  if (keep_up_to >= 0) {
    std::ifstream in(path);
    std::ostringstream kept;
    std::string line;
    for (int64_t number = 1; std::getline(in, line); ++number) {
      auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      // A line that is not a step-numbered event (cut short by a crash, hand-edited, damaged) is dropped
      // rather than trusted, and said so: the file is the run's record.
      const bool step_event = !event.is_discarded() && event.is_object() && event.contains("step") &&
                              event["step"].is_number_integer();
      if (!step_event) {
        std::cerr << "warning: " << path << ": line " << number
                  << (event.is_discarded() || !event.is_object() ? " is not a JSON event" : " has no integer step")
                  << "; dropped on resume\n";
        continue;
      }
      if (event["step"].get<int64_t>() > keep_up_to) continue;  // written after the checkpoint: redone now
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
