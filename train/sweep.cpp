#include "train/sweep.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.h"
#include "train/atomic_file.h"
#include "train/checkpoint.h"
#include "train/diag_plots.h"
#include "train/run_record.h"
#include "train/svg_plot.h"
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

struct Stats {
  double mean = NAN, stddev = NAN;
  int count = 0;
};
Stats stats_of(const std::vector<double>& values) {
  Stats s;
  std::vector<double> finite;
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  s.count = static_cast<int>(finite.size());
  if (finite.empty()) return s;
  double sum = 0;
  for (double v : finite) sum += v;
  s.mean = sum / finite.size();
  double sq = 0;
  for (double v : finite) sq += (v - s.mean) * (v - s.mean);
  s.stddev = finite.size() > 1 ? std::sqrt(sq / (finite.size() - 1)) : 0.0;  // sample std over seeds
  return s;
}

// "mean ± std"; `mean_format` may differ from the std's (a signed difference: "%+.4f").
std::string format_stats(const Stats& s, const char* format = "%.4f", const char* mean_format = nullptr) {
  if (s.count == 0) return "-";
  char mean[32], sd[32];
  std::snprintf(mean, sizeof mean, mean_format ? mean_format : format, s.mean);
  if (s.count == 1) return mean;  // one run: no spread to show
  std::snprintf(sd, sizeof sd, format, s.stddev);
  return std::string(mean) + " ± " + sd;
}

// Mean and min..max over seeds at each logged step (runs of one variant log at the same steps).
PlotSeries band(const std::string& name, const std::vector<RunRecord>& runs, bool by_time) {
  PlotSeries s{name, {}, {}, {}, {}};
  size_t n = SIZE_MAX;
  for (const RunRecord& r : runs) n = std::min(n, r.train_loss.size());
  if (runs.empty() || n == SIZE_MAX) return s;
  for (size_t i = 0; i < n; ++i) {
    double x = 0, sum = 0, lo = INFINITY, hi = -INFINITY;
    for (const RunRecord& r : runs) {
      x += by_time ? r.train_elapsed_s[i] : r.train_step[i];
      sum += r.train_loss[i], lo = std::min(lo, r.train_loss[i]), hi = std::max(hi, r.train_loss[i]);
    }
    s.x.push_back(x / runs.size());
    s.y.push_back(sum / runs.size());
    s.lo.push_back(lo);
    s.hi.push_back(hi);
  }
  return s;
}

// Differences from the first variant, seed by seed. Runs with the same seed see the same batches in the
// same order (the sampler is seeded from run.seed), so a per-seed difference cancels the data-order
// noise that both runs share; its spread over seeds says whether a gap is larger than the noise.
std::string paired_table(const SweepSpec& spec) {
  if (spec.variants.size() < 2) return "";
  const SweepVariant& first = spec.variants.front();
  std::ostringstream md;
  md << "\nPaired with `" << first.name << "` (the same seed trains on the same batches): each value is the "
     << "mean ± sample std over seeds of (variant - " << first.name << ") for the same seed; tokens/s as a ratio.\n\n"
     << "| variant | Δ final val loss | Δ final train loss | tokens/s ratio | seeds paired |\n|---|---|---|---|---|\n";
  for (size_t i = 1; i < spec.variants.size(); ++i) {
    const SweepVariant& v = spec.variants[i];
    std::vector<double> dval, dtrain, ratio;
    for (uint64_t seed : spec.seeds) {
      const std::string a = run_directory(spec, first, seed) + "/metrics.jsonl";
      const std::string b = run_directory(spec, v, seed) + "/metrics.jsonl";
      if (!std::filesystem::exists(a) || !std::filesystem::exists(b)) continue;
      const RunRecord ra = read_run(run_directory(spec, first, seed)), rb = read_run(run_directory(spec, v, seed));
      if (!ra.finished || !rb.finished) continue;
      dval.push_back(rb.final_val_loss() - ra.final_val_loss());
      dtrain.push_back(rb.final_train_loss() - ra.final_train_loss());
      if (ra.mean_tokens_per_s > 0) ratio.push_back(rb.mean_tokens_per_s / ra.mean_tokens_per_s);
    }
    const Stats sv = stats_of(dval);
    md << "| " << v.name << " | " << format_stats(sv, "%.4f", "%+.4f") << " | " << format_stats(stats_of(dtrain), "%.4f", "%+.4f")
       << " | " << format_stats(stats_of(ratio), "%.3f") << " | " << sv.count << " |\n";
  }
  return md.str();
}

}  // namespace

SweepSpec load_sweep(const std::string& path) {
  json doc;
  try {
    doc = json::parse(read_whole_file(path));
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number such as 1e999
    fail(path, ": not valid JSON (", e.what(), ")");
  }
  BF_CHECK(doc.is_object(), path, ": a sweep must be a JSON object");
  for (auto it = doc.begin(); it != doc.end(); ++it)
    BF_CHECK(it.key() == "name" || it.key() == "base" || it.key() == "out_dir" || it.key() == "seeds" ||
                 it.key() == "set" || it.key() == "variants" || it.key() == "target_loss",
             path, ": unknown key \"", it.key(), "\" (expected name, base, out_dir, seeds, set, target_loss, variants)");
  SweepSpec spec;
  auto text = [&](const char* key) {
    BF_CHECK(doc.contains(key) && doc[key].is_string(), path, ": \"", key, "\" must be a string");
    return doc[key].get<std::string>();
  };
  spec.name = text("name");
  const std::filesystem::path base = text("base");
  spec.base_config = base.is_absolute() ? base.string() : (std::filesystem::path(path).parent_path() / base).string();
  spec.out_dir = text("out_dir");
  if (doc.contains("set")) spec.common_overrides = string_list(doc["set"], path + ": set");
  BF_CHECK(doc.contains("seeds") && doc["seeds"].is_array() && !doc["seeds"].empty(), path,
           ": \"seeds\" must be a non-empty array of integers");
  for (const json& s : doc["seeds"]) {
    BF_CHECK(s.is_number_unsigned(), path, ": seeds: expected non-negative integers, got ", s.dump());
    spec.seeds.push_back(s.get<uint64_t>());
  }
  if (doc.contains("target_loss")) {
    BF_CHECK(doc["target_loss"].is_number(), path, ": target_loss must be a number");
    spec.target_loss = doc["target_loss"].get<double>();
  }
  BF_CHECK(doc.contains("variants") && doc["variants"].is_array() && !doc["variants"].empty(), path,
           ": \"variants\" must be a non-empty array");
  for (const json& v : doc["variants"]) {
    BF_CHECK(v.is_object() && v.contains("name") && v["name"].is_string(), path,
             ": each variant needs a \"name\" string, got ", v.dump());
    SweepVariant variant{v["name"].get<std::string>(), {}};
    BF_CHECK(!variant.name.empty() && variant.name.find('/') == std::string::npos, path, ": variant name \"",
             variant.name, "\" must be a non-empty folder name");
    if (v.contains("set")) variant.overrides = string_list(v["set"], path + ": variant " + variant.name);
    spec.variants.push_back(variant);
  }
  // Every run's config must parse before anything runs (a typo fails now, not an hour in).
  for (const SweepVariant& v : spec.variants) {
    std::vector<std::string> o = spec.common_overrides;
    o.insert(o.end(), v.overrides.begin(), v.overrides.end());
    load_config(spec.base_config, o);
  }
  return spec;
}

std::string run_directory(const SweepSpec& spec, const SweepVariant& variant, uint64_t seed) {
  return spec.out_dir + "/" + variant.name + "/seed" + std::to_string(seed);
}

SweepOutcome run_sweep(const SweepSpec& spec, std::ostream& log, bool progress) {
  SweepOutcome outcome;
  for (const SweepVariant& variant : spec.variants)
    for (uint64_t seed : spec.seeds) {
      std::vector<std::string> o = spec.common_overrides;
      o.insert(o.end(), variant.overrides.begin(), variant.overrides.end());
      const std::string dir = run_directory(spec, variant, seed);
      o.push_back("run.seed=" + std::to_string(seed));
      o.push_back("run.out_dir=\"" + dir + "\"");
      Config config = load_config(spec.base_config, o);
      TrainOptions options;
      options.log = &log;
      options.progress = progress;
      const std::string ckpt = checkpoint_path(config);
      if (std::filesystem::exists(ckpt)) {
        if (read_checkpoint_info(ckpt).step >= config.run.steps) {
          log << "sweep " << spec.name << ": " << dir << " is finished, skipping\n";
          ++outcome.skipped;
          continue;
        }
        options.resume = true;
        ++outcome.resumed;
      } else {
        ++outcome.ran;
      }
      log << "sweep " << spec.name << ": " << variant.name << " seed " << seed << " -> " << dir << "\n";
      train(config, options);
    }
  write_sweep_report(spec);
  return outcome;
}

std::string write_sweep_report(const SweepSpec& spec) {
  std::ostringstream md;
  md << "# Sweep " << spec.name << "\n\nBase config `" << spec.base_config << "`";
  if (!spec.common_overrides.empty()) {
    md << " with";
    for (const auto& o : spec.common_overrides) md << " `" << o << "`";
  }
  md << "; seeds";
  for (uint64_t s : spec.seeds) md << ' ' << s;
  md << ". Values are mean ± sample std over seeds; losses in nats per token, bpb = bits per byte of the original text (docs/tokenizer.md).\n\n";
  md << "| variant | overrides | parameters | tokens/s | final train loss | final val loss | val bpb |";
  if (std::isfinite(spec.target_loss)) md << " steps to train loss " << spec.target_loss << " |";
  md << " runs |\n|---|---|---|---|---|---|---|" << (std::isfinite(spec.target_loss) ? "---|" : "") << "---|\n";
  std::vector<PlotSeries> by_step, by_time;
  std::vector<DiagGroup> diag_groups;
  int unfinished = 0;  // runs started but not ended (running now, or stopped): left out of the table
  for (const SweepVariant& v : spec.variants) {
    std::vector<RunRecord> runs;
    for (uint64_t seed : spec.seeds) {
      const std::string dir = run_directory(spec, v, seed);
      if (!std::filesystem::exists(dir + "/metrics.jsonl")) continue;
      RunRecord r = read_run(dir);
      if (r.finished) runs.push_back(std::move(r));
      else ++unfinished;
    }
    std::vector<double> tps, train_loss, val_loss, bpb, reach;
    long long params = 0;
    for (const RunRecord& r : runs) {
      params = r.params;
      tps.push_back(r.mean_tokens_per_s);
      train_loss.push_back(r.final_train_loss());
      val_loss.push_back(r.final_val_loss());
      bpb.push_back(r.final_val_bpb());
      reach.push_back(r.first_step_at_or_below(spec.target_loss));
    }
    std::string overrides;
    for (const auto& o : v.overrides) overrides += (overrides.empty() ? "`" : " `") + o + "`";
    md << "| " << v.name << " | " << overrides << " | " << params << " | " << format_stats(stats_of(tps), "%.0f")
       << " | " << format_stats(stats_of(train_loss)) << " | " << format_stats(stats_of(val_loss)) << " | "
       << format_stats(stats_of(bpb)) << " |";
    if (std::isfinite(spec.target_loss)) {
      const Stats s = stats_of(reach);
      md << " " << (s.count == int(runs.size()) && s.count > 0 ? format_stats(s, "%.0f") : (s.count ? format_stats(s, "%.0f") + " (" + std::to_string(s.count) + "/" + std::to_string(runs.size()) + " reached)" : "not reached")) << " |";
    }
    md << " " << runs.size() << " |\n";
    by_step.push_back(band(v.name, runs, false));
    by_time.push_back(band(v.name, runs, true));
    diag_groups.push_back({v.name, runs});
  }
  if (unfinished > 0) md << "\n" << unfinished << " run(s) started but not finished are left out (rerun the sweep to finish them).\n";
  md << paired_table(spec);
  md << "\n![train loss against step](loss_vs_step.svg)\n\n![train loss against wall-clock time](loss_vs_time.svg)\n";
  std::filesystem::create_directories(spec.out_dir);
  write_file_atomically(spec.out_dir + "/loss_vs_step.svg",
                        render_svg_plot(spec.name + ": train loss (mean, band = min..max over seeds)", "step", "loss (nats)", by_step));
  write_file_atomically(spec.out_dir + "/loss_vs_time.svg",
                        render_svg_plot(spec.name + ": train loss against wall-clock time", "seconds", "loss (nats)", by_time));
  const std::vector<std::string> diag_files = write_diagnostic_plots(spec.out_dir, diag_groups);
  if (!diag_files.empty()) {
    md << "\n## Signal propagation (run.diag_every)\n\nPer layer at the last diagnostic step, and the deepest layer's "
          "value during training (mean over seeds, band = min..max):\n\n";
    for (const std::string& f : diag_files) md << "- [" << f << "](" << f << ")\n";
  }
  write_file_atomically(spec.out_dir + "/report.md", md.str());
  return md.str();
}

}  // namespace bf
