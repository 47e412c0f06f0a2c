// Training time and the log window's throughput, for the run's observers (train/run_observer.h).
// elapsed_s counts across resumes: it starts from the training time the kept metrics recorded.
#pragma once
#include <chrono>
#include <cstdint>

#include "train/run_observer.h"

namespace bf {

class RunClock {
 public:
  RunClock(double elapsed_before, int64_t tokens_per_step)
      : elapsed_before_(elapsed_before), tokens_per_step_(tokens_per_step) {}

  void add_step(double loss) { window_loss_ += loss, ++window_steps_; }  // a trained step of this window

  // The window's mean loss and throughput (lr and grad_norm: its last step's); starts the next window.
  LogWindow close_window(int64_t step, double lr, double grad_norm) {
    const double seconds = seconds_since(window_start_);
    LogWindow w{step, window_loss_ / window_steps_, lr, grad_norm,
                double(tokens_per_step_) * window_steps_ / seconds, 1e3 * seconds / window_steps_, elapsed_s()};
    window_loss_ = 0, window_steps_ = 0, window_start_ = Clock::now();
    return w;
  }

  double seconds() const { return seconds_since(start_); }              // in this process
  double elapsed_s() const { return elapsed_before_ + seconds(); }      // training time, resumes included

 private:
  using Clock = std::chrono::steady_clock;
  static double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }
  double elapsed_before_;
  int64_t tokens_per_step_;
  Clock::time_point start_ = Clock::now(), window_start_ = start_;
  double window_loss_ = 0;
  int window_steps_ = 0;
};

}  // namespace bf
