#include "train/resume.h"

#include <filesystem>

#include "core/error.h"
#include "train/checkpoint.h"
#include "train/run_lock.h"

namespace bf {

nlohmann::json ResumePlan::changes_event() const {
  if (changes.empty()) return nullptr;
  nlohmann::json list = nlohmann::json::array();
  for (const ConfigChange& c : changes) list.push_back({{"key", c.key}, {"from", c.saved}, {"to", c.current}});
  return list;
}

ResumePlan plan_resume(const ResumeRequest& request) {
  ResumePlan plan;
  std::string run_dir = request.run_dir;
  if (!request.config_file.empty()) {
    plan.config = load_config(request.config_file, request.overrides);
    run_dir = plan.config.run.out_dir;
  }
  // A run another process is training now: say so first (its checkpoint may not exist yet, or be about to
  // change). The probe is released at once; train() takes the lock for the run itself.
  if (std::filesystem::is_directory(run_dir)) RunLock probe(run_dir);
  const std::string ckpt = run_dir + "/checkpoint.safetensors";
  BF_CHECK(std::filesystem::exists(ckpt), "--resume: there is no checkpoint at ", ckpt, " to resume from");
  const Config saved = read_checkpoint_info(ckpt).config;
  if (request.config_file.empty()) {
    // The saved run's config, with this folder as its out_dir (it may have been moved), then the --set values.
    nlohmann::json doc = to_json(saved);
    doc["run"]["out_dir"] = run_dir;
    for (const std::string& o : request.overrides) apply_override(doc, o);
    plan.config = parse_config(doc, run_dir + "/checkpoint.safetensors (saved config)");
  }
  // The checkpoint's config parsed through the current schema, so a key added since is at its default.
  plan.changes = config_differences(to_json(saved), plan.config);
  if (plan.changes.empty()) return plan;
  std::vector<ConfigChange> model_changes;
  for (const ConfigChange& c : plan.changes)
    if (c.key.rfind("model.", 0) == 0) model_changes.push_back(c);
  BF_CHECK(model_changes.empty(), "--resume: ", run_dir, " holds a model trained with other model settings: ",
           describe_changes(model_changes), "; a resumed run keeps its model (train a new run to change it)");
  BF_CHECK(request.accept_changes, "--resume: ", run_dir, " was trained with other settings than asked for now: ",
           describe_changes(plan.changes), "; resume without them to continue the run as it was (bareformer train --resume ",
           run_dir, "), or pass --accept-changes to continue with them");
  return plan;
}

}  // namespace bf
