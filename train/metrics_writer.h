// The run observer that writes metrics.jsonl (the events are listed in train/metrics.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/config.h"
#include "train/metrics.h"
#include "train/run_observer.h"

namespace bf {

// The metrics.jsonl "diag" event for one step's diagnostics.
nlohmann::json diagnostics_event(int64_t step, const std::vector<LayerDiagnostics>& layers);

class MetricsWriter final : public RunObserver {
 public:
  // Opens out_dir/metrics.jsonl as MetricsLog does: empty for a fresh run (resumed_at < 0), else keeping
  // the events up to the resumed step. `accepted_changes` (a resume's changed settings, or null) becomes
  // a "config_change" event after the start event.
  MetricsWriter(const Config& config, int64_t resumed_at, nlohmann::json accepted_changes);

  int64_t kept_skipped_steps() const { return log_.kept_events("skip"); }
  double kept_elapsed_s() const { return log_.kept_elapsed_s(); }

  void started(const RunStarted& s) override;
  void logged(const LogWindow& w) override;
  void skipped(int64_t step, const std::string& reason) override;
  void diagnosed(int64_t step, const std::vector<LayerDiagnostics>& layers) override;
  void evaluated(int64_t step, const EvalResult& result, double elapsed_s) override;
  void finished(int64_t step, double elapsed_s, int64_t skipped_steps) override;

 private:
  const Config& config_;
  MetricsLog log_;
  nlohmann::json accepted_changes_;
};

}  // namespace bf
