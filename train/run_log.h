// The run observers a person reads: the log lines (stdout by default) and, on a terminal, a live
// progress line with the ETA on stderr.
#pragma once
#include <iosfwd>

#include "train/config.h"
#include "train/run_observer.h"

namespace bf {

// "training <preset>: ..." at the start, a line per log window, per evaluation and per skipped step.
class RunLog final : public RunObserver {
 public:
  RunLog(const Config& config, std::ostream& out) : config_(config), out_(out) {}
  void started(const RunStarted& s) override;
  void logged(const LogWindow& w) override;
  void skipped(int64_t step, const std::string& reason) override;
  void evaluated(int64_t step, const EvalResult& result, double elapsed_s) override;

 private:
  const Config& config_;
  std::ostream& out_;
};

// "step 120/1000  loss 2.3456  ETA 3m12s", redrawn after each step, cleared before each log line (the
// RunLog after it writes one) and at the end. Shown only when `enabled` and stderr is a terminal.
class ProgressLine final : public RunObserver {
 public:
  ProgressLine(int64_t total_steps, bool enabled);
  void started(const RunStarted& s) override;
  void logged(const LogWindow& w) override;
  void stepped(int64_t step, double loss) override;
  void finished(int64_t step, double elapsed_s, int64_t skipped_steps) override;

 private:
  int64_t total_steps_;
  bool shown_;
  int64_t start_step_ = 0;
  double start_seconds_ = 0;  // steady-clock seconds at the start
};

}  // namespace bf
