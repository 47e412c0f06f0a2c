#include "train/run_log.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ostream>
#include <string>

namespace bf {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string format_duration(double seconds) {
  char buf[32];
  const int s = static_cast<int>(seconds);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, s / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  return buf;
}

}  // namespace

void RunLog::started(const RunStarted& s) {
  out_ << "training " << config_.model.preset << ": " << s.parameters << " parameters, " << config_.run.steps
       << " steps of " << config_.data.batch_size << " x " << config_.data.seq_len << " tokens"
       << (s.resumed ? ", resumed at step " + std::to_string(s.step) : std::string()) << "\n";
}

void RunLog::logged(const LogWindow& w) {
  char line[200];
  std::snprintf(line, sizeof line, "step %6lld | loss %.4f | lr %.2e | grad norm %.3f | %8.0f tok/s | %7.1f ms/step\n",
                static_cast<long long>(w.step), w.loss, w.lr, w.grad_norm, w.tokens_per_s, w.ms_per_step);
  out_ << line << std::flush;
}

void RunLog::skipped(int64_t step, const std::string& reason) { out_ << "step " << step << ": skipped, " << reason << "\n"; }

void RunLog::evaluated(int64_t step, const EvalResult& r, double) {
  char line[160];
  std::snprintf(line, sizeof line, "step %6lld | val loss %.4f | val bpb %.4f\n", static_cast<long long>(step), r.loss,
                r.bits_per_byte);
  out_ << line << std::flush;
}

ProgressLine::ProgressLine(int64_t total_steps, bool enabled)
    : total_steps_(total_steps), shown_(enabled && isatty(STDERR_FILENO)) {}

void ProgressLine::started(const RunStarted& s) {
  start_step_ = s.step;
  start_seconds_ = now_seconds();
}

void ProgressLine::logged(const LogWindow&) {
  if (shown_) std::fprintf(stderr, "\r\033[K");
}

void ProgressLine::stepped(int64_t step, double loss) {
  if (!shown_) return;
  const double per_step = (now_seconds() - start_seconds_) / double(step - start_step_);
  std::fprintf(stderr, "\r\033[Kstep %lld/%lld  loss %.4f  ETA %s", static_cast<long long>(step),
               static_cast<long long>(total_steps_), loss, format_duration(per_step * double(total_steps_ - step)).c_str());
  std::fflush(stderr);
}

void ProgressLine::finished(int64_t, double, int64_t) {
  if (shown_) std::fprintf(stderr, "\r\033[K");
}

}  // namespace bf
