// `bareformer train --resume`: which run to continue, and with which config. A resume continues the run
// as it was saved (the checkpoint's config); a setting asked for now that differs from it (a --set, or a
// value of the config file given) is listed and refused unless accept_changes, and an accepted change
// is recorded in metrics.jsonl as a "config_change" event. The model section can never change: the
// checkpoint's tensors are of that model.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/config.h"
#include "train/config_diff.h"

namespace bf {

struct ResumeRequest {
  std::string run_dir;      // `train --resume RUN_DIR`: the run folder ("" when a config file names it)
  std::string config_file;  // `train CONFIG --resume`: the folder is the config's run.out_dir
  std::vector<std::string> overrides;
  bool accept_changes = false;
};

struct ResumePlan {
  Config config;                     // what the resumed run trains with
  std::vector<ConfigChange> changes;  // accepted differences from the saved run (empty without any)
  nlohmann::json changes_event() const;  // [{key, from, to}, ...], null when there are none
};

// bf::Error when there is no checkpoint to resume, when a setting differs and accept_changes is false,
// or when a model setting differs.
ResumePlan plan_resume(const ResumeRequest& request);

}  // namespace bf
