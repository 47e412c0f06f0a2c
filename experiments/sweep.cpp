#include "experiments/sweep.h"

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"
#include "io/atomic_file.h"
#include "train/checkpoint.h"
#include "train/config_diff.h"
#include "experiments/final_eval.h"
#include "experiments/run_record.h"
#include "experiments/sweep_report.h"
#include "train/trainer.h"

namespace bf {
namespace {

using nlohmann::json;

std::vector<std::string> string_list(const json& v, const std::string& where) {
  BF_CHECK(v.is_array(), where, ": expected an array of \"path=value\" strings");
  std::vector<std::string> out;
  for (const json& item : v) {
    BF_CHECK(item.is_string(), where, ": expected strings, got ", item.dump());
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::vector<uint64_t> seed_list(const json& v, const std::string& where) {
  BF_CHECK(v.is_array() && !v.empty(), where, ": expected a non-empty array of integers");
  std::vector<uint64_t> seeds;
  for (const json& s : v) {
    BF_CHECK(s.is_number_unsigned(), where, ": expected non-negative integers, got ", s.dump());
    const uint64_t seed = s.get<uint64_t>();
    BF_CHECK(std::find(seeds.begin(), seeds.end(), seed) == seeds.end(), where, ": seed ", seed, " is listed twice");
    seeds.push_back(seed);
  }
  return seeds;
}

// {"optim.lr": [1e-3, 2e-3], "optim.weight_decay": [0, 0.1]} -> the 4 points of the cross product.
std::vector<GridPoint> grid_points(const json& grid, const std::string& where) {
  BF_CHECK(grid.is_object() && !grid.empty(), where, ": expected an object {\"config.path\": [values...]}");
  std::vector<GridPoint> points = {GridPoint{}};
  for (auto it = grid.begin(); it != grid.end(); ++it) {
    BF_CHECK(it.value().is_array() && !it.value().empty(), where, ": \"", it.key(), "\" must be a non-empty array of values");
    std::vector<GridPoint> crossed;
    for (const GridPoint& p : points)
      for (const json& value : it.value()) {
        BF_CHECK(value.is_primitive() && !value.is_null(), where, ": \"", it.key(), "\": expected numbers, strings or booleans, got ",
                 value.dump());
        GridPoint q = p;
        q.values.push_back({it.key(), value.dump()});
        crossed.push_back(q);
      }
    points = crossed;
  }
  std::set<std::string> labels;
  for (const GridPoint& p : points)
    BF_CHECK(labels.insert(p.label()).second, where, ": \"", p.label(), "\" appears twice in the grid");
  return points;
}

void check_keys(const json& obj, const std::vector<std::string>& allowed, const std::string& where) {
  std::string list;
  for (const auto& k : allowed) {
    if (!list.empty()) list += ", ";
    list += k;
  }
  for (auto it = obj.begin(); it != obj.end(); ++it)
    BF_CHECK(std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end(), where, ": unknown key \"", it.key(),
             "\" (expected ", list, ")");
}

std::string relative_to(const std::string& dir, const std::string& root) {
  return std::filesystem::path(dir).lexically_relative(root).string();
}

}  // namespace

std::string GridPoint::label() const {
  std::string out;
  for (const auto& [path, value] : values) {
    std::string shown = value;
    if (shown.size() >= 2 && shown.front() == '"') shown = shown.substr(1, shown.size() - 2);  // a string value
    if (!out.empty()) out += ',';
    out += path;
    out += '=';
    out += shown;
  }
  return out;
}

std::vector<std::string> GridPoint::overrides() const {
  std::vector<std::string> out;
  for (const auto& [path, value] : values) out.push_back(path + "=" + value);
  return out;
}

SweepSpec load_sweep(const std::string& path) {
  json doc;
  try {
    doc = json::parse(read_whole_file(path));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number such as 1e999
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  BF_CHECK(doc.is_object(), path, ": a sweep must be a JSON object");
  check_keys(doc, {"name", "base", "out_dir", "seeds", "set", "variants", "target_loss", "grid", "grid_seeds", "baseline", "final_eval", "report"}, path);
  SweepSpec spec;
  spec.sweep_file = path;
  auto text = [&](const char* key) {
    BF_CHECK(doc.contains(key) && doc[key].is_string(), path, ": \"", key, "\" must be a string");
    return doc[key].get<std::string>();
  };
  spec.name = text("name");
  spec.base_as_written = text("base");
  const std::filesystem::path base = spec.base_as_written;
  spec.base_config = base.is_absolute() ? base.string() : (std::filesystem::path(path).parent_path() / base).string();
  spec.out_dir = text("out_dir");
  if (doc.contains("set")) spec.common_overrides = string_list(doc["set"], path + ": set");
  BF_CHECK(doc.contains("seeds"), path, ": \"seeds\" must be a non-empty array of integers");
  const std::vector<uint64_t> seeds = seed_list(doc["seeds"], path + ": seeds");
  const std::vector<uint64_t> grid_seeds = doc.contains("grid_seeds") ? seed_list(doc["grid_seeds"], path + ": grid_seeds") : seeds;
  const std::vector<GridPoint> grid = doc.contains("grid") ? grid_points(doc["grid"], path + ": grid") : std::vector<GridPoint>{GridPoint{}};
  if (doc.contains("target_loss")) {
    BF_CHECK(doc["target_loss"].is_number(), path, ": target_loss must be a number");
    spec.target_loss = doc["target_loss"].get<double>();
  }
  BF_CHECK(doc.contains("variants") && doc["variants"].is_array() && !doc["variants"].empty(), path,
           ": \"variants\" must be a non-empty array");
  std::set<std::string> names;
  for (const json& v : doc["variants"]) {
    BF_CHECK(v.is_object() && v.contains("name") && v["name"].is_string(), path,
             ": each variant needs a \"name\" string, got ", v.dump());
    SweepVariant variant;
    variant.name = v["name"].get<std::string>();
    const std::string where = path + ": variant " + variant.name;
    BF_CHECK(!variant.name.empty() && variant.name.find('/') == std::string::npos && variant.name != "." &&
                 variant.name != "..",
             path, ": variant name \"", variant.name, "\" must be a non-empty folder name");
    BF_CHECK(names.insert(variant.name).second, path, ": two variants are named \"", variant.name,
             "\" (each variant has its own run folders: rename one)");
    check_keys(v, {"name", "set", "seeds", "grid", "grid_seeds"}, where);
    if (v.contains("set")) variant.overrides = string_list(v["set"], where);
    variant.seeds = v.contains("seeds") ? seed_list(v["seeds"], where + ": seeds") : seeds;
    variant.grid = v.contains("grid") ? grid_points(v["grid"], where + ": grid") : grid;
    variant.grid_seeds = v.contains("grid_seeds") ? seed_list(v["grid_seeds"], where + ": grid_seeds")
                         : doc.contains("grid_seeds") ? grid_seeds
                                                      : variant.seeds;
    spec.variants.push_back(variant);
  }
  if (doc.contains("final_eval")) {
    BF_CHECK(doc["final_eval"] == "whole_split", path, ": \"final_eval\" must be \"whole_split\" (or left out)");
    spec.whole_split_final_eval = true;
  }
  if (doc.contains("report")) {
    BF_CHECK(doc["report"].is_string() && !doc["report"].get<std::string>().empty() &&
                 std::filesystem::path(doc["report"].get<std::string>()).is_relative(),
             path, ": \"report\" must be a folder name inside out_dir");
    spec.report_subdir = doc["report"].get<std::string>();
    BF_CHECK(!names.count(spec.report_subdir), path, ": \"report\" \"", spec.report_subdir, "\" is also a variant's folder");
  }
  if (doc.contains("baseline")) {
    BF_CHECK(doc["baseline"].is_string(), path, ": \"baseline\" must be a variant's name");
    const std::string b = doc["baseline"].get<std::string>();
    auto it = std::find_if(spec.variants.begin(), spec.variants.end(), [&](const SweepVariant& v) { return v.name == b; });
    BF_CHECK(it != spec.variants.end(), path, ": baseline \"", b, "\" is not one of the variants");
    spec.baseline = static_cast<size_t>(it - spec.variants.begin());
  }
  // Every run's config must parse before anything runs (a typo fails now, not an hour in).
  for (const SweepVariant& v : spec.variants)
    for (const GridPoint& p : v.grid) (void)sweep_run_config(spec, v, p, v.seeds.front());
  return spec;
}

std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, const GridPoint& point, uint64_t seed,
                          const std::string& runs_root) {
  std::string dir = (runs_root.empty() ? spec.out_dir : runs_root) + "/" + variant.name;
  if (!point.values.empty()) dir.append("/").append(point.label());
  return dir + "/seed" + std::to_string(seed);
}

std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, uint64_t seed) {
  return run_directory(spec, variant, GridPoint{}, seed);
}

Config sweep_run_config(const SweepSpec& spec, const SweepVariant& variant, const GridPoint& point, uint64_t seed) {
  std::vector<std::string> o = spec.common_overrides;
  o.insert(o.end(), variant.overrides.begin(), variant.overrides.end());
  for (const std::string& g : point.overrides()) o.push_back(g);
  o.push_back("run.seed=" + std::to_string(seed));
  o.push_back("run.out_dir=" + json(run_directory(spec, variant, point, seed)).dump());
  return load_config(spec.base_config, o);
}

int chosen_grid_point(const SweepSpec& spec, const SweepVariant& variant, const std::string& runs_root) {
  if (variant.grid.size() == 1) return 0;
  int best = -1;
  double best_loss = INFINITY;
  for (size_t i = 0; i < variant.grid.size(); ++i) {
    double sum = 0;
    bool complete = true;
    for (uint64_t seed : variant.grid_seeds) {
      const std::string dir = run_directory(spec, variant, variant.grid[i], seed, runs_root);
      if (!std::filesystem::exists(dir + "/metrics.jsonl")) {
        complete = false;
        break;
      }
      const RunRecord r = read_run(dir);
      if (!r.finished || !std::isfinite(r.final_train_loss())) {
        complete = false;
        break;
      }
      sum += r.final_train_loss();
    }
    if (!complete) continue;
    const double mean = sum / double(variant.grid_seeds.size());
    if (mean < best_loss) best_loss = mean, best = static_cast<int>(i);
  }
  return best;
}

SweepOutcome run_sweep(const SweepSpec& spec, std::ostream& log, bool progress) {
  // Before anything trains: every run folder that holds a checkpoint must have been trained with the
  // config this sweep asks of it, or the sweep would report (or continue) another experiment's numbers.
  std::vector<std::string> mismatches;
  for (const SweepVariant& v : spec.variants)
    for (const GridPoint& p : v.grid) {
      std::vector<uint64_t> seeds = v.grid_seeds;
      for (uint64_t s : v.seeds)
        if (std::find(seeds.begin(), seeds.end(), s) == seeds.end()) seeds.push_back(s);
      for (uint64_t seed : seeds) {
        const Config config = sweep_run_config(spec, v, p, seed);
        if (!std::filesystem::exists(checkpoint_path(config))) continue;
        const auto changes = config_differences(read_saved_config(config.run.out_dir), config);
        if (!changes.empty())
          mismatches.push_back("variant \"" + v.name + "\"" + (p.values.empty() ? std::string() : std::string(" at ").append(p.label())) + " seed " +
                               std::to_string(seed) + " (" + config.run.out_dir + ") was trained with another config: " +
                               describe_changes(changes));
      }
    }
  BF_CHECK(mismatches.empty(), "sweep ", spec.name, ": ", mismatches.front(),
           mismatches.size() > 1 ? " (and " + std::to_string(mismatches.size() - 1) + " more run folders differ)" : "",
           "; delete the folder to retrain it, or set the sweep back");

  SweepOutcome outcome;
  auto run_one = [&](const SweepVariant& variant, const GridPoint& point, uint64_t seed) {
    const Config config = sweep_run_config(spec, variant, point, seed);
    const std::string dir = config.run.out_dir, shown = relative_to(dir, spec.out_dir);
    for (const auto* list : {&outcome.trained, &outcome.resumed, &outcome.reused})
      if (std::find(list->begin(), list->end(), shown) != list->end()) return;  // a grid seed that is also a result seed
    TrainOptions options;
    options.log = &log;
    options.progress = progress;
    const std::string ckpt = checkpoint_path(config);
    if (std::filesystem::exists(ckpt)) {
      if (read_checkpoint_info(ckpt).step >= config.run.steps) {
        log << "sweep " << spec.name << ": " << dir << " is finished with this config, reusing it\n";
        outcome.reused.push_back(shown);
        if (spec.whole_split_final_eval && append_whole_split_eval(dir))
          log << "sweep " << spec.name << ": " << dir << ": evaluated on the whole validation split\n";
        return;
      }
      options.resume = true;
      outcome.resumed.push_back(shown);
    } else {
      outcome.trained.push_back(shown);
    }
    log << "sweep " << spec.name << ": " << variant.name << (point.values.empty() ? "" : " ") << point.label() << " seed "
        << seed << " -> " << dir << "\n";
    try {
      train(config, options);
      if (spec.whole_split_final_eval && append_whole_split_eval(dir))
        log << "sweep " << spec.name << ": " << dir << ": evaluated on the whole validation split\n";
    } catch (const Error& e) {  // one run's failure (a learning rate that diverges) does not stop the others
      log << "sweep " << spec.name << ": " << dir << " failed: " << e.what() << "\n";
      outcome.failed.push_back(shown + ": " + e.what());
    }
  };
  for (const SweepVariant& variant : spec.variants) {
    if (variant.tuned_separately()) {
      for (const GridPoint& p : variant.grid)
        for (uint64_t seed : variant.grid_seeds) run_one(variant, p, seed);
      const int best = chosen_grid_point(spec, variant);
      BF_CHECK(best >= 0, "sweep ", spec.name, ": variant ", variant.name, ": no grid point finished with a finite training loss");
      log << "sweep " << spec.name << ": " << variant.name << ": chosen " << variant.grid[best].label() << "\n";
      for (uint64_t seed : variant.seeds) run_one(variant, variant.grid[best], seed);
    } else {
      for (const GridPoint& p : variant.grid)
        for (uint64_t seed : variant.seeds) run_one(variant, p, seed);
    }
  }
  SweepReportOptions report;
  report.outcome = &outcome;
  write_sweep_report(spec, report);
  return outcome;
}

}  // namespace bf
