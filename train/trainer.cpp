#include "train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <numbers>

#include "autograd/tape.h"
#include "core/storage.h"
#include "backends/kernels.h"
#include "nn/diagnostics.h"
#include "io/atomic_file.h"
#include "train/batches.h"
#include "train/checkpoint.h"
#include "train/checkpoint_validation.h"
#include "train/config_diff.h"
#include "train/memory_estimate.h"
#include "train/metrics.h"
#include "train/optimizer.h"
#include "train/provenance.h"
#include "train/run_lock.h"
#include "text/tokenizer.h"

namespace bf {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string format_duration(double seconds) {
  char buf[32];
  const int s = static_cast<int>(seconds);
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%dh%02dm", s / 3600, s / 60 % 60);
  else std::snprintf(buf, sizeof buf, "%dm%02ds", s / 60, s % 60);
  return buf;
}

// The sampler draws from its own stream, derived from the run seed (initialisation uses the seed itself).
uint64_t sampler_seed(uint64_t run_seed) { return run_seed ^ 0x5bd1e9955bd1e995ULL; }

// run.skip_nonfinite_steps: a run that has skipped more than run.max_skipped_fraction of run.steps
// has diverged. It stops as soon as that is certain, leaving its last checkpoint as it was.
void check_skipped_fraction(const Config& config, int64_t skipped, int64_t step, const std::string& ckpt) {
  const double allowed = config.run.max_skipped_fraction * config.run.steps;
  if (static_cast<double>(skipped) <= allowed) return;
  char fraction[32];
  std::snprintf(fraction, sizeof fraction, "%g", config.run.max_skipped_fraction);
  fail("step ", step, ": ", skipped, " of the run's ", config.run.steps,
       " steps skipped (a non-finite loss or gradient), more than run.max_skipped_fraction = ", fraction,
       " allows; the run diverged, stopping (the last checkpoint, ", ckpt, ", is untouched)");
}

}  // namespace

nlohmann::json diagnostics_event(int64_t step, const std::vector<LayerDiagnostics>& layers) {
  nlohmann::json list = nlohmann::json::array();
  for (const LayerDiagnostics& l : layers)
    list.push_back({{"name", l.name}, {"activation_rms", l.activation_rms}, {"token_cosine", l.token_cosine},
                    {"attention_entropy", l.attention_entropy}, {"grad_norm", l.grad_norm}, {"alpha", l.alpha},
                    {"beta", l.beta}, {"gamma", l.gamma}, {"gains", l.gains},
                    {"value_beta_over_alpha", l.value_beta_over_alpha}});
  return {{"event", "diag"}, {"step", step}, {"layers", list}};
}

std::string checkpoint_path(const Config& config) { return config.run.out_dir + "/checkpoint.safetensors"; }

EvalResult evaluate_split(const Gpt& model, const TokenFile& data, const std::vector<int32_t>& token_text_bytes,
                          int batch, int seq_len, int max_batches) {
  NoGradGuard no_grad;
  AllocationContext context("evaluation on " + data.path());
  BF_CHECK(data.size() >= int64_t{seq_len} + 1, data.path(), ": ", data.size(),
           " tokens, too few for one validation window (data.seq_len ", seq_len, " needs ", int64_t{seq_len} + 1, ")");
  // In 64 bits: run.eval_batches x data.batch_size reaches 6.5e10 within the config's ranges.
  const std::vector<int64_t> starts = eval_window_starts(data.size(), seq_len, int64_t{max_batches} * batch);
  double total = 0;
  int64_t windows = 0;
  EvalResult result;
  for (size_t first = 0; first < starts.size(); first += batch) {
    std::vector<int64_t> chunk(starts.begin() + first, starts.begin() + std::min(starts.size(), first + batch));
    Tensor tokens, targets;
    gather_windows(data, chunk, seq_len, tokens, targets);
    result.text_bytes += text_bytes_of(targets.data<int32_t>(), targets.numel(), token_text_bytes);
    Tensor loss = model.loss(tokens.to(model.device()), targets.to(model.device()));
    total += loss.item() * double(chunk.size());  // every window has seq_len targets: a plain mean
    windows += static_cast<int64_t>(chunk.size());
  }
  BF_CHECK(windows > 0, data.path(), ": no validation window of ", seq_len + 1, " tokens fits");
  result.loss = total / double(windows);
  result.tokens = windows * seq_len;
  // Total nats over the text those tokens stand for (docs/tokenizer.md, "Bits per byte").
  const double total_nats = result.loss * double(result.tokens);
  result.bits_per_byte = result.text_bytes > 0 ? total_nats / std::numbers::ln2 / double(result.text_bytes) : std::nan("");
  return result;
}

double evaluate(const Gpt& model, const TokenFile& data, int batch, int seq_len, int max_batches) {
  return evaluate_split(model, data, std::vector<int32_t>(size_t(model.config().vocab_size), 1), batch, seq_len,
                        max_batches)
      .loss;
}

TrainSummary train(const Config& config, const TrainOptions& options) {
  std::ostream& log = options.log ? *options.log : std::cout;
  const Device device = device_from_name(config.run.device);
  (void)device_memory(device);  // cuda without a device: the error (and its reason) before anything is written
  configure_cpu_threads(config.run.threads);
  const std::string ckpt = checkpoint_path(config);
  check_memory(config, MemoryUse::train, "run.out_dir " + config.run.out_dir);  // before anything is written

  // Never overwrite a run's saved work by accident.
  std::error_code ec;
  std::filesystem::create_directories(config.run.out_dir, ec);
  BF_CHECK(!ec, config.run.out_dir, ": cannot create run.out_dir (", ec.message(), ")");
  const RunLock lock(config.run.out_dir);  // one process per run folder, until this function returns
  const bool has_checkpoint = std::filesystem::exists(ckpt);
  BF_CHECK(options.resume || !has_checkpoint, config.run.out_dir, " already holds a run (", ckpt,
           "); pass --resume to continue it, or choose another run.out_dir");
  BF_CHECK(!options.resume || has_checkpoint, "--resume: there is no checkpoint at ", ckpt, " to resume from");
  remove_stale_temp_files(config.run.out_dir);  // half-written files of a process that was killed

  const TokenFile train_data = TokenFile::load(config.data.dir + "/train.bin");
  const TokenFile val_data = TokenFile::load(config.data.dir + "/val.bin");
  // Checked now, not at the first evaluation: a run should not train for an hour and then fail.
  BF_CHECK(val_data.size() >= int64_t(config.data.seq_len) + 1, val_data.path(), ": ", val_data.size(),
           " tokens, too few for one validation window (data.seq_len ", config.data.seq_len, " needs ",
           config.data.seq_len + 1, ")");
  // model.vocab_size against the folder's tokenizer, and the token files against it (every id < model.vocab_size).
  const Tokenizer tokenizer = Tokenizer::load_folder(config.data.dir);
  check_data_vocabulary(config.data.dir, tokenizer, config.model.vocab_size, {&train_data, &val_data});
  BF_CHECK(val_data.vocab_size() == train_data.vocab_size(), val_data.path(), ": token vocabulary ",
           val_data.vocab_size(), " differs from train.bin's ", train_data.vocab_size(), " (", train_data.path(),
           "); both splits must come from one tokenizer");
  keep_run_tokenizer(config.run.out_dir, tokenizer, config.data.dir, options.resume);
  const std::string val_fingerprint = token_file_fingerprint(val_data);  // saved with each checkpoint

  Gpt model(config.model, config.run.seed, config.model.dtype, device);
  Optimizer optimizer(config.optim, model.parameters());
  BatchSampler sampler(train_data, config.data.batch_size, config.data.seq_len, sampler_seed(config.run.seed));
  int64_t start_step = 0;
  if (options.resume) {
    CheckpointInfo info = load_checkpoint(ckpt, model, &optimizer);
    BF_CHECK(to_json(info.config)["model"] == to_json(config)["model"], ckpt,
             ": the checkpoint's model section differs from this config's; resume needs the same model");
    start_step = info.step;
    sampler.set_state(info.sampler_state);
  }
  TrainSummary summary;
  if (options.resume && start_step >= config.run.steps) {  // finished: change nothing, invent nothing
    summary.already_finished = true;
    summary.steps = start_step;
    log << config.run.out_dir << " is finished (step " << start_step << " of " << config.run.steps << "); nothing to do\n";
    return summary;
  }
  write_file_atomically(config.run.out_dir + "/config.json", to_json(config).dump(2) + "\n");
  MetricsLog metrics(config.run.out_dir + "/metrics.jsonl", options.resume ? start_step : -1);

  summary.total_steps = config.run.steps;
  summary.parameters = model.parameters().count();
  summary.skipped_steps = metrics.kept_events("skip");
  nlohmann::json start = {{"event", "start"}, {"step", start_step}, {"params", summary.parameters}, {"resumed", options.resume},
                          {"config_hash", config_hash(config)}};
  start.update(run_provenance());  // version, commit, command line, host, time, threads, GEMM provider
  metrics.write(start);
  if (!options.accepted_changes.is_null())
    metrics.write({{"event", "config_change"}, {"step", start_step}, {"changes", options.accepted_changes}});
  log << "training " << config.model.preset << ": " << summary.parameters << " parameters, " << config.run.steps
      << " steps of " << config.data.batch_size << " x " << config.data.seq_len << " tokens"
      << (options.resume ? ", resumed at step " + std::to_string(start_step) : std::string()) << "\n";

  const bool show_progress = options.progress && isatty(STDERR_FILENO);
  const int64_t tokens_per_step = int64_t(config.data.batch_size) * config.data.seq_len;
  const auto run_start = Clock::now();
  const double elapsed_before = metrics.kept_elapsed_s();  // training time before this resume
  auto training_time = [&] { return elapsed_before + seconds_since(run_start); };
  auto window_start = Clock::now();
  double window_loss = 0;
  int window_steps = 0;
  auto save = [&](int64_t step) { save_checkpoint(ckpt, config, model, &optimizer, step, sampler.state(), val_fingerprint); };
  auto run_eval = [&](int64_t step) {
    const EvalResult eval = evaluate_split(model, val_data, tokenizer.token_text_bytes(), config.data.batch_size,
                                           config.data.seq_len, config.run.eval_batches);
    summary.final_val_loss = eval.loss;
    summary.final_val_bpb = eval.bits_per_byte;
    metrics.write({{"event", "eval"}, {"step", step}, {"val_loss", summary.final_val_loss},
                   {"val_bpb", summary.final_val_bpb}, {"val_tokens", eval.tokens}, {"val_text_bytes", eval.text_bytes},
                   {"elapsed_s", training_time()}});
    char line[160];
    std::snprintf(line, sizeof line, "step %6lld | val loss %.4f | val bpb %.4f\n", static_cast<long long>(step),
                  summary.final_val_loss, summary.final_val_bpb);
    log << line << std::flush;
  };

  auto eval_and_save = [&](int64_t done) {
    const bool last = done == config.run.steps;
    const bool eval_now = last || (config.run.eval_every > 0 && done % config.run.eval_every == 0);
    if (eval_now) run_eval(done);
    const bool ckpt_now = last || (config.run.checkpoint_every > 0 ? done % config.run.checkpoint_every == 0 : eval_now);
    if (ckpt_now) save(done);
  };

  Tensor tokens, targets;
  for (int64_t step = start_step; step < config.run.steps; ++step) {
    AllocationContext step_context("training step " + std::to_string(step + 1));
    const double lr = learning_rate(config.optim, config.schedule, config.run.steps, static_cast<int>(step));
    sampler.next(tokens, targets);
    model.parameters().zero_grad();
    const bool diagnose_now = config.run.diag_every > 0 && (step + 1) % config.run.diag_every == 0;
    ForwardProbe probe;  // filled only on diagnostic steps
    Tensor loss = model.loss(tokens.to(device), targets.to(device), diagnose_now ? &probe : nullptr);
    const double loss_value = loss.item();
    if (std::isfinite(loss_value)) backward(loss);
    else clear_tape();
    if (options.after_backward) options.after_backward(step, model);

    const GradientReport grads = gradient_norm(model.parameters());
    std::string fault;
    if (!std::isfinite(loss_value)) fault = "the loss is " + std::to_string(loss_value);
    else if (!grads.first_nonfinite.empty()) fault = "the gradient of " + grads.first_nonfinite + " is not finite";
    if (!fault.empty()) {
      if (!config.run.skip_nonfinite_steps)
        fail("step ", step + 1, ": ", fault, "; stopping (the last checkpoint, ", ckpt,
             ", is untouched; set run.skip_nonfinite_steps to skip such steps)");
      ++summary.skipped_steps;
      metrics.write({{"event", "skip"}, {"step", step + 1}, {"reason", fault}});
      log << "step " << step + 1 << ": skipped, " << fault << "\n";
      check_skipped_fraction(config, summary.skipped_steps, step + 1, ckpt);
      eval_and_save(step + 1);  // a skipped step keeps the schedule: the last one still evaluates and saves
      continue;
    }
    if (diagnose_now) metrics.write(diagnostics_event(step + 1, compute_diagnostics(model, probe)));
    // Clip by the global norm (PyTorch's clip_grad_norm_: scale = max_norm / (norm + 1e-6) when above).
    const double clip = config.optim.grad_clip;
    const double grad_scale = clip > 0 && grads.norm > clip ? clip / (grads.norm + 1e-6) : 1.0;
    optimizer.step(lr, grad_scale);

    summary.step_losses.push_back(loss_value);
    window_loss += loss_value;
    ++window_steps;
    const int64_t done = step + 1;
    if (done % config.run.log_every == 0 || done == config.run.steps) {
      const double elapsed = seconds_since(window_start);
      const double ms = 1e3 * elapsed / window_steps, tps = double(tokens_per_step) * window_steps / elapsed;
      summary.final_train_loss = window_loss / window_steps;
      metrics.write({{"event", "train"}, {"step", done}, {"loss", summary.final_train_loss}, {"lr", lr},
                     {"grad_norm", grads.norm}, {"tokens_per_s", tps}, {"ms_per_step", ms},
                     {"elapsed_s", training_time()}});
      char line[200];
      std::snprintf(line, sizeof line, "step %6lld | loss %.4f | lr %.2e | grad norm %.3f | %8.0f tok/s | %7.1f ms/step\n",
                    static_cast<long long>(done), summary.final_train_loss, lr, grads.norm, tps, ms);
      if (show_progress) std::fprintf(stderr, "\r\033[K");
      log << line << std::flush;
      window_loss = 0, window_steps = 0, window_start = Clock::now();
    }
    eval_and_save(done);
    if (show_progress) {
      const double per_step = seconds_since(run_start) / double(done - start_step);
      std::fprintf(stderr, "\r\033[Kstep %lld/%d  loss %.4f  ETA %s", static_cast<long long>(done), config.run.steps,
                   loss_value, format_duration(per_step * double(config.run.steps - done)).c_str());
      std::fflush(stderr);
    }
  }
  if (show_progress) std::fprintf(stderr, "\r\033[K");
  const double elapsed = seconds_since(run_start);
  summary.steps = config.run.steps;
  if (elapsed > 0) summary.tokens_per_s = double(tokens_per_step) * double(config.run.steps - start_step) / elapsed;
  metrics.write({{"event", "end"}, {"step", config.run.steps}, {"elapsed_s", elapsed_before + elapsed},
                 {"skipped_steps", summary.skipped_steps}});
  return summary;
}

}  // namespace bf
