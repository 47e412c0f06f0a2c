// Whether a run folder was trained with a given config, key by key: what `sweep` checks before it reuses a
// run and what `train --resume` checks before it continues one.
//
// A run's config.json holds every field that existed when it was trained. It is read through the current
// schema before the comparison, so a field added to the schema later, absent from it, takes its default
// (the default of the saved run's preset, for model.block fields), and a renamed field the schema still
// reads under its old name counts as the new one: a field added with a default is meant to keep the old
// behaviour, so adding one never invalidates finished runs, and setting it to anything else does. A saved
// config the schema cannot read at all is compared key by key, with the same default rule. run.out_dir
// is never compared: a run folder may be moved or committed elsewhere.
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "train/config.h"

namespace bf {

struct ConfigChange {
  std::string key;        // "optim.lr"
  nlohmann::json saved;   // null when absent from the saved config (and not at its default now)
  nlohmann::json current; // null when the key is not in the schema any more
};

// `saved`: a run's config.json as JSON; `current`: the config it is compared with.
std::vector<ConfigChange> config_differences(const nlohmann::json& saved, const Config& current);

// "optim.lr (run: 0.002, now: 0.001), run.steps (run: 500, now: 2000)"; at most `max_listed` keys, then
// "and N more".
std::string describe_changes(const std::vector<ConfigChange>& changes, size_t max_listed = 6);

// "fnv1a64:<16 hex digits>" of the resolved config without run.out_dir: recorded in each run's "start"
// event. Equal hashes mean equal configs; unequal hashes are settled by config_differences (the hash
// changes when the schema gains a field).
std::string config_hash(const Config& config);

// The config.json of a run folder (bf::Error naming the file when missing or not JSON).
nlohmann::json read_saved_config(const std::string& run_dir);

}  // namespace bf
