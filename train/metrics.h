// metrics.jsonl: one JSON object per line and per event, flushed as written, so a crashed run keeps
// everything up to its last line and pandas.read_json(path, lines=True) reads it. Events (field "event"):
//   start  {step, params, resumed, config_hash, version, commit, command, host, started_utc, threads, gemm}
//          (config_hash: train/config_diff.h; train/provenance.h: the build's version and git commit, the
//          command line, host name, UTC start time in ISO 8601, CPU threads and the GEMM library)
//   config_change {step, changes: [{key, from, to}]}   (a resume that accepted changed settings)
//   train  {step, loss (mean since the last train event), lr, grad_norm, tokens_per_s, ms_per_step, elapsed_s}
//   eval   {step, val_loss, val_bpb, val_tokens, val_text_bytes, elapsed_s}   (val_bpb: bits per byte of the original text)
//   skip   {step, reason}          (run.skip_nonfinite_steps)
//   diag   {step, layers: [{name, activation_rms, token_cosine, attention_entropy, grad_norm, alpha, beta,
//           gamma, gains, value_beta_over_alpha}]}   (run.diag_every; not applicable: -1 for the
//           non-negative quantities, null for value_beta_over_alpha)
//   end    {step, elapsed_s, skipped_steps}    (elapsed_s: training time, counted across resumes)
//   final_eval {step, val_loss, val_bpb, windows, tokens}   (a sweep's whole-split evaluation, after end)
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace bf {

class MetricsLog {
 public:
  // A fresh run (keep_up_to < 0) starts the file empty: lines left by a run that died before its first
  // checkpoint describe nothing that can be resumed. When resuming from step `keep_up_to` (>= 0), the
  // lines written after that step by the crashed run are dropped, so every step appears once.
  MetricsLog(const std::string& path, int64_t keep_up_to = -1);
  ~MetricsLog();
  MetricsLog(const MetricsLog&) = delete;
  MetricsLog& operator=(const MetricsLog&) = delete;
  void write(const nlohmann::json& event);
  // How many events of this kind ("skip", ...) were kept from before a resume.
  int64_t kept_events(const std::string& kind) const;
  // The training time at the resume point: the largest elapsed_s of the kept events (0 for a fresh run),
  // so that elapsed_s keeps counting across resumes.
  double kept_elapsed_s() const { return kept_elapsed_s_; }

 private:
  std::string path_;
  std::FILE* file_ = nullptr;
  std::map<std::string, int64_t> kept_events_;
  double kept_elapsed_s_ = 0;
};

}  // namespace bf
