#include "train/config_diff.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "core/error.h"
#include "io/atomic_file.h"

namespace bf {
namespace {

using nlohmann::json;

// {"optim": {"lr": 0.001}} -> {"optim.lr": 0.001}
void flatten(const json& node, const std::string& prefix, std::map<std::string, json>& out) {
  if (!node.is_object()) {
    out[prefix] = node;
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it)
    flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
}

// The defaults a key absent from `saved` is compared with: a default config of the saved run's preset.
json defaults_for(const json& saved) {
  json doc = json::object();
  if (saved.contains("model") && saved["model"].is_object() && saved["model"].contains("preset") &&
      saved["model"]["preset"].is_string()) {
    try {
      doc["model"]["preset"] = saved["model"]["preset"];
      return to_json(parse_config(doc, "defaults"));
    } catch (const Error&) {  // a preset that no longer exists: the plain defaults (its keys then differ)
    }
  }
  return to_json(Config{});
}

std::string shown(const json& v) {
  if (v.is_null()) return "absent";
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

}  // namespace

std::vector<ConfigChange> config_differences(const json& saved, const Config& current) {
  std::map<std::string, json> raw, was, now;
  flatten(saved, "", raw);
  flatten(to_json(current), "", now);
  // The saved config read through the current schema: a key added since takes its default (the saved
  // preset's, for model.block), and a key renamed since is read as its new name where the schema still
  // reads the old one. A saved config the schema cannot read any more is compared key by key.
  try {
    flatten(to_json(parse_config(saved, "saved config")), "", was);
  } catch (const Error&) {
    flatten(defaults_for(saved), "", was);
    for (const auto& [key, value] : raw) was[key] = value;
  }
  std::vector<ConfigChange> changes;
  for (const auto& [key, value] : now) {
    if (key == "run.out_dir") continue;
    auto it = was.find(key);
    if (it == was.end() || it->second != value) changes.push_back({key, raw.count(key) ? raw[key] : json(), value});
  }
  for (const auto& [key, value] : was)
    if (!now.count(key)) changes.push_back({key, value, json()});
  // A preset change explains the block changes that follow from it: list it first.
  std::stable_partition(changes.begin(), changes.end(), [](const ConfigChange& c) { return c.key == "model.preset"; });
  return changes;
}

std::string describe_changes(const std::vector<ConfigChange>& changes, size_t max_listed) {
  std::string out;
  for (size_t i = 0; i < changes.size() && i < max_listed; ++i) {
    const ConfigChange& c = changes[i];
    out += (i ? ", " : "") + c.key + " (run: " + shown(c.saved) + ", now: " +
           (c.current.is_null() ? std::string("not a config key") : shown(c.current)) + ")";
  }
  if (changes.size() > max_listed) out += " and " + std::to_string(changes.size() - max_listed) + " more";
  return out;
}

std::string config_hash(const Config& config) {
  json doc = to_json(config);
  doc["run"].erase("out_dir");
  const std::string text = doc.dump();  // keys in sorted order: canonical
  uint64_t h = 0xcbf29ce484222325ULL;    // FNV-1a, 64 bits: a change detector, not a security hash
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  char buf[32];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

json read_saved_config(const std::string& run_dir) {
  const std::string path = run_dir + "/config.json";
  const json doc = json::parse(read_whole_file(path), nullptr, false);
  BF_CHECK(!doc.is_discarded() && doc.is_object(), path, ": not a JSON object (the run's saved config)");
  return doc;
}

}  // namespace bf
