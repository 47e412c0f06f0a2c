#include "train/config_checks.h"

#include "core/error.h"

namespace bf {

void check_config_fields(const Config& config, const std::string& source) {
  try {
    validate(config.model);
  } catch (const Error& e) {
    fail(source, ": ", e.what());
  }
  BF_CHECK(config.data.seq_len <= config.model.max_seq_len, source, ": data.seq_len = ", config.data.seq_len,
           " exceeds model.max_seq_len = ", config.model.max_seq_len, " (the model has no position beyond it)");
  BF_CHECK(config.schedule.warmup_steps <= config.run.steps, source, ": schedule.warmup_steps = ",
           config.schedule.warmup_steps, " exceeds run.steps = ", config.run.steps);
  BF_CHECK(!config.run.out_dir.empty(), source, ": run.out_dir must not be empty");
  BF_CHECK(!config.data.dir.empty(), source, ": data.dir must not be empty");
}

}  // namespace bf
