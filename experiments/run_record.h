// A finished (or running) run read back from its folder: metrics.jsonl and config.json. The compare,
// plot and sweep-report commands all read runs through this.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

namespace bf {

// One "diag" event of metrics.jsonl: per layer (embed, blocks.0, ...), each quantity, NaN where it does
// not apply. Quantities: activation_rms, token_cosine, attention_entropy, grad_norm,
// value_beta_over_alpha, alpha / beta / gamma (the shaped-attention gains, mean over heads) and
// "gain NAME" for each block gain (a_SA, b_SA, a_FF, b_FF).
struct DiagSnapshot {
  double step = 0;
  std::vector<std::string> layers;
  std::map<std::string, std::vector<double>> values;  // quantity -> one value per layer
};

struct RunRecord {
  std::string dir;
  std::string preset = "?";
  long long params = 0;
  std::vector<double> train_step, train_loss, train_elapsed_s;  // one entry per "train" event
  std::vector<double> eval_step, val_loss, val_bpb;             // one entry per "eval" event
  std::vector<DiagSnapshot> diagnostics;                      // one entry per "diag" event
  double median_tokens_per_s = 0;  // the median of its logging windows' tokens/s
  long long skipped_lines = 0;  // lines of metrics.jsonl that were not well-formed events (reported on stderr)
  bool finished = false;  // an "end" event after the last "start": not running, not killed mid-way
  int64_t planned_steps = 0;    // config.json run.steps (0 when unknown)
  int64_t tokens_per_step = 0;  // config.json data.batch_size x data.seq_len (0 when unknown)
  int64_t seq_len = 0;          // config.json data.seq_len
  int64_t eval_windows = 0;     // windows of each periodic evaluation: run.eval_batches x data.batch_size
  int64_t last_step = 0;        // the last step any event reports
  double elapsed_s = NAN;       // training time so far (the last elapsed_s logged; counts across resumes)
  std::string config_hash;      // from the first "start" event ("" for runs written before hashes)
  int64_t tokens_seen() const { return last_step * tokens_per_step; }
  // The "final_eval" event (experiments/final_eval.h) at the last step: the whole validation split.
  double whole_split_val_loss = NAN, whole_split_val_bpb = NAN;
  int64_t whole_split_windows = 0, whole_split_tokens = 0;
  // The final validation loss a report shows: the whole split's when evaluated, else the last eval event's.
  double reported_val_loss() const { return std::isfinite(whole_split_val_loss) ? whole_split_val_loss : final_val_loss(); }
  double reported_val_bpb() const { return std::isfinite(whole_split_val_bpb) ? whole_split_val_bpb : final_val_bpb(); }
  double final_train_loss() const;  // NaN when no train event
  double final_val_loss() const;
  double final_val_bpb() const;
  double first_step_at_or_below(double target_loss) const;  // NaN when never reached
};

// bf::Error naming the file when metrics.jsonl is missing; lines that are not well-formed events (cut short
// by a crash, hand-edited) are skipped, counted in skipped_lines, and reported by a warning on stderr.
RunRecord read_run(const std::string& dir);
DiagSnapshot diag_snapshot_from_event(const nlohmann::json& event);  // a "diag" event's object

}  // namespace bf
