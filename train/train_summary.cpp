// summary_line (train/trainer.h): what `bareformer train` prints last.
#include <cmath>
#include <cstdio>
#include <string>

#include "train/trainer.h"

namespace bf {

std::string summary_line(const TrainSummary& s, const std::string& checkpoint) {
  auto value = [](double v, const char* format) {
    char text[32];
    std::snprintf(text, sizeof text, format, v);
    return std::string(text);
  };
  std::string line = "done: train loss ";
  line += std::isnan(s.final_train_loss) ? "not measured (no step was trained in this process)"
                                         : value(s.final_train_loss, "%g");
  line += ", val loss ";
  line += std::isnan(s.final_val_loss) ? "not measured (no evaluation ran in this process)"
                                       : value(s.final_val_loss, "%g") + " (" + value(s.final_val_bpb, "%g") + " bits/byte)";
  if (std::isfinite(s.tokens_per_s)) line += ", " + std::to_string(static_cast<long long>(s.tokens_per_s)) + " tok/s";
  if (s.skipped_steps > 0)
    line += "; skipped " + std::to_string(s.skipped_steps) + " of " + std::to_string(s.total_steps) +
            " steps (non-finite loss or gradient)";
  return line + "; " + checkpoint;
}

}  // namespace bf
