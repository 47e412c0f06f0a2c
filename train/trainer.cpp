#include "train/trainer.h"

#include <cmath>
#include <cstdio>
#include <iostream>

#include "core/storage.h"
#include "io/atomic_file.h"
#include "train/metrics_writer.h"
#include "train/run_clock.h"
#include "train/run_log.h"
#include "train/training_run.h"

namespace bf {
namespace {

// When each thing happens, in steps done (run.*_every; the last step always logs, evaluates and saves).
struct Cadence {
  const RunConfig& run;
  bool last(int64_t done) const { return done == run.steps; }
  bool log(int64_t done) const { return done % run.log_every == 0 || last(done); }
  bool evaluate(int64_t done) const { return last(done) || (run.eval_every > 0 && done % run.eval_every == 0); }
  bool save(int64_t done) const {
    return last(done) || (run.checkpoint_every > 0 ? done % run.checkpoint_every == 0 : evaluate(done));
  }
  bool diagnose(int64_t done) const { return run.diag_every > 0 && done % run.diag_every == 0; }
};

// What `train` returns, gathered from the events like any other observer's output.
class SummaryRecorder final : public RunObserver {
 public:
  SummaryRecorder(int64_t total_steps, int64_t tokens_per_step) : tokens_per_step_(tokens_per_step) {
    summary.total_steps = total_steps;
  }
  void started(const RunStarted& s) override { summary.parameters = s.parameters, start_step_ = s.step; }
  void logged(const LogWindow& w) override { summary.final_train_loss = w.loss; }
  void evaluated(int64_t, const EvalResult& r, double) override {
    summary.final_val_loss = r.loss, summary.final_val_bpb = r.bits_per_byte;
  }
  void stepped(int64_t, double loss) override { summary.step_losses.push_back(loss); }
  void finished(int64_t step, double, int64_t skipped_steps) override {
    summary.steps = step, summary.skipped_steps = skipped_steps;
    const double seconds = clock_.seconds();
    if (seconds > 0) summary.tokens_per_s = double(tokens_per_step_) * double(step - start_step_) / seconds;
  }
  TrainSummary summary;

 private:
  int64_t tokens_per_step_;
  int64_t start_step_ = 0;
  RunClock clock_{0, 0};
};

// A non-finite loss or gradient, in words ("" when the step is sound).
std::string step_fault(double loss, const GradientReport& grads) {
  if (!std::isfinite(loss)) return "the loss is " + std::to_string(loss);
  if (!grads.first_nonfinite.empty()) return "the gradient of " + grads.first_nonfinite + " is not finite";
  return "";
}

// A faulty step stops the run, unless run.skip_nonfinite_steps; then a run that has skipped more than
// run.max_skipped_fraction of run.steps has diverged, and stops as soon as that is certain. Either way
// the last checkpoint stays as it was.
void stop_unless_skipping(const Config& config, int64_t step, const std::string& fault, const std::string& ckpt) {
  if (!config.run.skip_nonfinite_steps)
    fail("step ", step, ": ", fault, "; stopping (the last checkpoint, ", ckpt,
         ", is untouched; set run.skip_nonfinite_steps to skip such steps)");
}
void check_skipped_fraction(const Config& config, int64_t skipped, int64_t step, const std::string& ckpt) {
  const double allowed = config.run.max_skipped_fraction * config.run.steps;
  if (static_cast<double>(skipped) <= allowed) return;
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%g", config.run.max_skipped_fraction);
  fail("step ", step, ": ", skipped, " of the run's ", config.run.steps,
       " steps skipped (a non-finite loss or gradient), more than run.max_skipped_fraction = ", fraction,
       " allows; the run diverged, stopping (the last checkpoint, ", ckpt, ", is untouched)");
}

// Clip by the global norm (PyTorch's clip_grad_norm_: scale = max_norm / (norm + 1e-6) when above).
double clip_scale(double max_norm, double norm) { return max_norm > 0 && norm > max_norm ? max_norm / (norm + 1e-6) : 1.0; }

void evaluate_and_save(TrainingRun& run, const Cadence& cadence, int64_t done, RunObserver& observer,
                       const RunClock& clock) {
  if (cadence.evaluate(done)) {
    const EvalResult result = run.evaluate();
    observer.evaluated(done, result, clock.elapsed_s());
  }
  if (cadence.save(done)) run.save(done);
}

}  // namespace

std::string checkpoint_path(const Config& config) { return config.run.out_dir + "/checkpoint.safetensors"; }

TrainSummary train(const Config& config, const TrainOptions& options) {
  std::ostream& log = options.log ? *options.log : std::cout;
  TrainingRun run(config, options.resume);
  if (options.resume && run.start_step >= config.run.steps) {  // finished: change nothing, invent nothing
    log << config.run.out_dir << " is finished (step " << run.start_step << " of " << config.run.steps << "); nothing to do\n";
    TrainSummary finished;
    finished.steps = run.start_step, finished.already_finished = true;
    return finished;
  }
  write_file_atomically(config.run.out_dir + "/config.json", to_json(config).dump(2) + "\n");
  const int64_t tokens_per_step = int64_t(config.data.batch_size) * config.data.seq_len;
  MetricsWriter metrics(config, options.resume ? run.start_step : -1, options.accepted_changes);
  SummaryRecorder summary(config.run.steps, tokens_per_step);
  ProgressLine progress(config.run.steps, options.progress);
  RunLog run_log(config, log);
  RunObservers observer({&metrics, &summary, &progress, &run_log});  // the progress line clears before a log line
  int64_t skipped = metrics.kept_skipped_steps();
  observer.started({run.start_step, run.model.parameters().count(), options.resume});
  const Cadence cadence{config.run};
  RunClock clock(metrics.kept_elapsed_s(), tokens_per_step);
  for (int64_t step = run.start_step; step < config.run.steps; ++step) {
    AllocationContext step_context("training step " + std::to_string(step + 1));
    const int64_t done = step + 1;
    const double lr = learning_rate(config.optim, config.schedule, config.run.steps, static_cast<int>(step));
    ForwardProbe probe;  // filled only on diagnostic steps
    const double loss = run.forward_backward(cadence.diagnose(done) ? &probe : nullptr);
    if (options.after_backward) options.after_backward(step, run.model);
    const GradientReport grads = gradient_norm(run.model.parameters());
    if (const std::string fault = step_fault(loss, grads); !fault.empty()) {
      stop_unless_skipping(config, done, fault, run.checkpoint);
      observer.skipped(done, fault);
      check_skipped_fraction(config, ++skipped, done, run.checkpoint);
      evaluate_and_save(run, cadence, done, observer, clock);  // a skipped step keeps the schedule
      continue;
    }
    if (cadence.diagnose(done)) observer.diagnosed(done, compute_diagnostics(run.model, probe));
    run.optimizer.step(lr, clip_scale(config.optim.grad_clip, grads.norm));
    clock.add_step(loss);
    if (cadence.log(done)) observer.logged(clock.close_window(done, lr, grads.norm));
    evaluate_and_save(run, cadence, done, observer, clock);
    observer.stepped(done, loss);
  }
  observer.finished(config.run.steps, clock.elapsed_s(), skipped);
  return summary.summary;
}

}  // namespace bf
