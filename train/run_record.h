// A finished (or running) run read back from its folder: metrics.jsonl and config.json. The compare,
// plot and sweep-report commands all read runs through this.
#pragma once
#include <string>
#include <vector>

namespace bf {

struct RunRecord {
  std::string dir;
  std::string preset = "?";
  long long params = 0;
  std::vector<double> train_step, train_loss, train_elapsed_s;  // one entry per "train" event
  std::vector<double> eval_step, val_loss, val_bpb;             // one entry per "eval" event
  double mean_tokens_per_s = 0;
  double final_train_loss() const;  // NaN when no train event
  double final_val_loss() const;
  double final_val_bpb() const;
  double first_step_at_or_below(double target_loss) const;  // NaN when never reached
};

RunRecord read_run(const std::string& dir);  // bf::Error naming the file when metrics.jsonl is missing

}  // namespace bf
