// What the training loop tells the world. The loop (train/trainer.cpp) decides what happens at each step;
// a RunObserver decides what is said about it: the metrics.jsonl events (train/metrics_writer.h), the log
// lines and the terminal progress line (train/run_log.h), the summary `train` returns (SummaryRecorder in
// train/trainer.cpp). Events arrive in step order; `step` always counts the steps done (1 after the first
// step), as the metrics events do.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "nn/diagnostics.h"
#include "train/evaluate.h"

namespace bf {

struct RunStarted {
  int64_t step = 0;        // where this process starts: 0, or the checkpoint's step when resumed
  int64_t parameters = 0;
  bool resumed = false;
};

// The steps trained since the previous window (every run.log_every steps, and at the last step).
struct LogWindow {
  int64_t step = 0;
  double loss = 0;          // mean over the window's trained steps
  double lr = 0;            // of the window's last step
  double grad_norm = 0;     // of the window's last step, before clipping
  double tokens_per_s = 0;  // over the window
  double ms_per_step = 0;
  double elapsed_s = 0;     // training time, counted across resumes
};

class RunObserver {
 public:
  virtual ~RunObserver() = default;
  virtual void started(const RunStarted&) {}
  virtual void logged(const LogWindow&) {}
  virtual void skipped(int64_t /*step*/, const std::string& /*reason*/) {}  // run.skip_nonfinite_steps
  virtual void diagnosed(int64_t /*step*/, const std::vector<LayerDiagnostics>&) {}
  virtual void evaluated(int64_t /*step*/, const EvalResult&, double /*elapsed_s*/) {}
  // A trained step is complete (logged, evaluated and saved as its cadence says); `loss` is its own.
  virtual void stepped(int64_t /*step*/, double /*loss*/) {}
  virtual void finished(int64_t /*step*/, double /*elapsed_s*/, int64_t /*skipped_steps*/) {}
};

// Several observers as one, called in the order given (the order of their output on a shared stream).
class RunObservers final : public RunObserver {
 public:
  explicit RunObservers(std::vector<RunObserver*> observers) : observers_(std::move(observers)) {}
  void started(const RunStarted& s) override { each([&](RunObserver& o) { o.started(s); }); }
  void logged(const LogWindow& w) override { each([&](RunObserver& o) { o.logged(w); }); }
  void skipped(int64_t step, const std::string& reason) override { each([&](RunObserver& o) { o.skipped(step, reason); }); }
  void diagnosed(int64_t step, const std::vector<LayerDiagnostics>& layers) override {
    each([&](RunObserver& o) { o.diagnosed(step, layers); });
  }
  void evaluated(int64_t step, const EvalResult& r, double elapsed_s) override {
    each([&](RunObserver& o) { o.evaluated(step, r, elapsed_s); });
  }
  void stepped(int64_t step, double loss) override { each([&](RunObserver& o) { o.stepped(step, loss); }); }
  void finished(int64_t step, double elapsed_s, int64_t skipped) override {
    each([&](RunObserver& o) { o.finished(step, elapsed_s, skipped); });
  }

 private:
  template <class F>
  void each(F&& f) {
    for (RunObserver* o : observers_) f(*o);
  }
  std::vector<RunObserver*> observers_;
};

}  // namespace bf
