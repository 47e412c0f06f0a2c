#include "experiments/sweep_report.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "io/atomic_file.h"
#include "train/config_diff.h"
#include "experiments/diag_plots.h"
#include "experiments/run_record.h"
#include "experiments/stats.h"
#include "experiments/sweep_plots.h"

namespace bf {
namespace {

namespace fs = std::filesystem;
using stats::Interval;
using stats::t_interval;

std::string fmt(const char* format, double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string mean_sd(const std::vector<double>& values, const char* format = "%.4f") {
  const stats::Summary s = stats::summarize(values);
  if (s.n == 0) return "-";
  return s.n == 1 ? fmt(format, s.mean) : fmt(format, s.mean) + " ± " + fmt(format, s.sd);
}

std::string with_commas(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 ? "-" : "") + out;
}

std::string tokens_text(long long tokens) {
  if (tokens >= 10'000'000) return fmt("%.1fM", tokens / 1e6);
  if (tokens >= 1'000'000) return fmt("%.2fM", tokens / 1e6);
  if (tokens >= 10'000) return fmt("%.0fk", tokens / 1e3);
  return std::to_string(tokens);
}

// Every run folder the sweep names, read once, with its config checked against the sweep's.
struct RunSlot {
  std::string dir, shown;  // shown: relative to the runs root
  const SweepVariant* variant = nullptr;
  size_t point = 0;
  uint64_t seed = 0;
  bool exists = false, config_matches = true;
  std::string config_note;  // "hash" / "keys added since at their defaults" / the differing keys
  RunRecord record;
  bool usable() const { return exists && record.finished && config_matches; }
};

struct VariantResult {
  const SweepVariant* variant = nullptr;
  int chosen = -1;                              // grid point index
  std::map<uint64_t, const RunSlot*> by_seed;  // usable runs at the chosen point, over variant.seeds
  std::vector<RunRecord> runs() const {
    std::vector<RunRecord> out;
    for (const auto& [seed, slot] : by_seed) out.push_back(slot->record);
    return out;
  }
};

class Report {
 public:
  Report(const SweepSpec& spec, const SweepReportOptions& options)
      : spec_(spec), root_(options.runs_root.empty() ? spec.out_dir : options.runs_root), options_(options) {
    read_runs();
  }
  std::string markdown(const std::string& report_dir);

 private:
  const RunSlot& slot(const SweepVariant& v, const GridPoint& p, uint64_t seed) const {
    return slots_.at(run_directory(spec_, v, p, seed, root_));
  }
  void read_runs();
  int chosen_point(const SweepVariant& v) const;
  void header(std::ostream& md) const;
  void results_table(std::ostream& md) const;
  std::string validation_note() const;
  void paired_table(std::ostream& md) const;
  void per_step_tables(std::ostream& md) const;
  void target_table(std::ostream& md) const;
  void grid_tables(std::ostream& md) const;
  void gains_table(std::ostream& md) const;
  void budget_table(std::ostream& md) const;
  void runs_table(std::ostream& md) const;
  // Paired (baseline, variant) values per common seed.
  template <class F>
  std::pair<std::vector<double>, std::vector<double>> paired(const VariantResult& v, F value) const;

  const SweepSpec& spec_;
  std::string root_;
  const SweepReportOptions& options_;
  std::map<std::string, RunSlot> slots_;
  std::vector<std::string> order_;  // slot keys in sweep order
  std::vector<VariantResult> results_;
};

void Report::read_runs() {
  for (const SweepVariant& v : spec_.variants) {
    std::vector<uint64_t> seeds = v.grid_seeds;
    for (uint64_t s : v.seeds)
      if (std::find(seeds.begin(), seeds.end(), s) == seeds.end()) seeds.push_back(s);
    for (const GridPoint& p : v.grid)
      for (uint64_t seed : seeds) {
        RunSlot s;
        s.variant = &v, s.point = size_t(&p - v.grid.data()), s.seed = seed;
        s.dir = run_directory(spec_, v, p, seed, root_);
        s.shown = fs::path(s.dir).lexically_relative(root_).string();
        s.exists = fs::exists(s.dir + "/metrics.jsonl");
        if (s.exists) {
          s.record = read_run(s.dir);
          if (fs::exists(s.dir + "/config.json")) {
            const Config wanted = sweep_run_config(spec_, v, p, seed);
            const auto changes = config_differences(read_saved_config(s.dir), wanted);
            s.config_matches = changes.empty();
            // Not the hash: it changes with the schema, and the report must regenerate the same after a
            // field is added (config_diff.h).
            s.config_note = changes.empty() ? "matches" : "differs: " + describe_changes(changes, 3);
          } else {
            s.config_matches = false, s.config_note = "no config.json";
          }
        }
        order_.push_back(s.dir);
        slots_.emplace(s.dir, std::move(s));
      }
  }
  for (const SweepVariant& v : spec_.variants) {
    VariantResult r;
    r.variant = &v;
    r.chosen = chosen_point(v);
    if (r.chosen >= 0)
      for (uint64_t seed : v.seeds) {
        const RunSlot& s = slot(v, v.grid[r.chosen], seed);
        if (s.usable()) r.by_seed[seed] = &s;
      }
    results_.push_back(r);
  }
}

// As chosen_grid_point, over the runs whose config matches: the lowest mean final training loss over the
// tuning seeds, among points finished at every tuning seed.
int Report::chosen_point(const SweepVariant& v) const {
  if (v.grid.size() == 1) return 0;
  int best = -1;
  double best_loss = INFINITY;
  for (size_t p = 0; p < v.grid.size(); ++p) {
    std::vector<double> train;
    for (uint64_t seed : v.grid_seeds) {
      const RunSlot& s = slot(v, v.grid[p], seed);
      if (s.usable() && std::isfinite(s.record.final_train_loss())) train.push_back(s.record.final_train_loss());
    }
    if (train.size() != v.grid_seeds.size()) continue;
    const double mean = stats::summarize(train).mean;
    if (mean < best_loss) best_loss = mean, best = static_cast<int>(p);
  }
  return best;
}

template <class F>
std::pair<std::vector<double>, std::vector<double>> Report::paired(const VariantResult& v, F value) const {
  const VariantResult& base = results_[spec_.baseline];
  std::vector<double> a, b;
  for (const auto& [seed, slot] : v.by_seed) {
    auto it = base.by_seed.find(seed);
    if (it == base.by_seed.end()) continue;
    a.push_back(value(it->second->record));
    b.push_back(value(slot->record));
  }
  return {a, b};
}

void Report::header(std::ostream& md) const {
  md << "# Sweep " << spec_.name << "\n\nBase config `" << spec_.base_as_written << "`";
  if (!spec_.common_overrides.empty()) {
    md << " with";
    for (const auto& o : spec_.common_overrides) md << " `" << o << "`";
  }
  md << ". Baseline: `" << spec_.variants[spec_.baseline].name << "`. Losses are nats per token (bpb = bits per byte of the original text, docs/tokenizer.md). "
     << "Intervals are 95% Student t intervals over seeds; a difference from the baseline is paired by seed (the "
     << "same seed trains on the same batches in the same order, so the data-order noise both runs share cancels). "
     << "The t interval rather than a bootstrap: with 2 to 5 seeds a bootstrap has a handful of distinct "
     << "resamples and undercovers, while the t quantile widens the interval as it should (12.7 sd/sqrt(n) at 2 "
     << "seeds, 2.78 at 5).\n\n" << validation_note() << "\n";
}

// What "final val loss" means in this report: the whole split, or the subset every evaluation uses.
std::string Report::validation_note() const {
  long long windows = -1, tokens = 0, subset_windows = -1, subset_tokens = 0;
  bool all_whole = true, any = false;
  for (const VariantResult& r : results_)
    for (const auto& [seed, s] : r.by_seed) {
      any = true;
      if (s->record.whole_split_windows > 0) windows = s->record.whole_split_windows, tokens = s->record.whole_split_tokens;
      else all_whole = false;
      subset_windows = s->record.eval_windows, subset_tokens = s->record.eval_windows * s->record.seq_len;
    }
  if (!any) return "No run has finished yet.";
  const std::string every = "Validation loss at each evaluation step is the mean over " +
                            (subset_windows > 0 ? "at most " + with_commas(subset_windows) + " windows (" + tokens_text(subset_tokens) + " tokens)"
                                                : std::string("`run.eval_batches` batches")) +
                            ", the same evenly spaced windows for every run.";
  if (all_whole)
    return "**Final validation loss is over the whole validation split** (" + with_commas(windows) + " windows, " +
           tokens_text(tokens) + " tokens: no subset sampling error). " + every;
  return every + " **Final validation loss is over that subset, not the whole split**: its windows are fixed, so every "
         "run is compared on the same text, but the number can differ from the whole split's by more than the "
         "differences compared here (0.1 nats on a tiny model); set `\"final_eval\": \"whole_split\"` in the sweep.";
}

void Report::results_table(std::ostream& md) const {
  md << "\n## Results\n\nEach variant at its chosen grid point (the grid section says how it was chosen); values over "
        "its seeds: mean [95% interval]; tokens/s: mean ± sd over seeds of each run's median logging window.\n\n"
     << "| variant | point | seeds | steps | tokens seen | parameters | tokens/s | final train loss | final val loss | val bpb |\n"
     << "|---|---|---|---|---|---|---|---|---|---|\n";
  for (const VariantResult& r : results_) {
    const SweepVariant& v = *r.variant;
    std::vector<double> tps, train, val, bpb;
    long long params = 0, steps = 0, tokens = 0;
    for (const RunRecord& run : r.runs()) {
      tps.push_back(run.median_tokens_per_s), train.push_back(run.final_train_loss());
      val.push_back(run.reported_val_loss()), bpb.push_back(run.reported_val_bpb());
      params = run.params, steps = run.last_step, tokens = run.tokens_seen();
    }
    const std::string point = r.chosen < 0 ? "(none finished)" : v.grid[r.chosen].values.empty() ? "-" : "`" + v.grid[r.chosen].label() + "`";
    md << "| " << v.name << " | " << point << " | " << r.by_seed.size() << "/" << v.seeds.size() << " | " << steps << " | "
       << tokens_text(tokens) << " | " << with_commas(params) << " | " << mean_sd(tps, "%.0f") << " | "
       << stats::format_interval(t_interval(train), 4, false) << " | " << stats::format_interval(t_interval(val), 4, false)
       << " | " << stats::format_interval(t_interval(bpb), 4, false) << " |\n";
  }
}

void Report::paired_table(std::ostream& md) const {
  if (spec_.variants.size() < 2) return;
  const std::string base = spec_.variants[spec_.baseline].name;
  md << "\n## Against " << base << ", paired by seed\n\nΔ = variant - " << base << " for the same seed, mean [95% paired t "
     << "interval]; negative is better. *Resolvable*: the half-width of the interval, the smallest mean difference "
     << "that this many seeds with this spread would tell from zero. *Seeds for 80% power*: how many paired seeds a "
     << "two-sided paired t test at the 5% level needs to detect the observed mean difference with this spread 80% "
     << "of the time. *Lower on*: the seeds on which the variant's loss is below the baseline's (the paired form of "
     << "rliable's probability of improvement). The tokens/s ratio's interval is the t interval of the log ratio, "
     << "exponentiated.\n\n"
     << "| variant | seeds paired | Δ final val loss | verdict | resolvable | seeds for 80% power | lower on | Δ final train loss | tokens/s ratio |\n"
     << "|---|---|---|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < results_.size(); ++i) {
    if (i == spec_.baseline) continue;
    const VariantResult& r = results_[i];
    auto [a, b] = paired(r, [](const RunRecord& x) { return x.reported_val_loss(); });
    const std::vector<double> d = stats::paired_differences(a, b);
    const Interval iv = t_interval(d);
    auto [ta, tb] = paired(r, [](const RunRecord& x) { return x.final_train_loss(); });
    auto [sa, sb] = paired(r, [](const RunRecord& x) { return std::log(x.median_tokens_per_s); });
    const Interval ratio = t_interval(stats::paired_differences(sa, sb));
    std::string ratio_text = "-";
    if (ratio.summary.n == 1) ratio_text = fmt("%.3f", std::exp(ratio.summary.mean));
    else if (ratio.summary.n > 1)
      ratio_text = fmt("%.3f", std::exp(ratio.summary.mean)) + " [" + fmt("%.3f", std::exp(ratio.lo)) + ", " + fmt("%.3f", std::exp(ratio.hi)) + "]";
    int lower = 0;
    for (double x : d) lower += x < 0;
    const int need = iv.has_interval() ? stats::seeds_for_power(iv.summary.mean, iv.summary.sd) : -1;
    const std::string need_text = need < 0 ? "-" : need > 100000 ? "> 100000" : std::to_string(need);
    md << "| " << r.variant->name << " | " << d.size() << " | " << stats::format_interval(iv) << " | " << stats::verdict(iv)
       << " | " << (iv.has_interval() ? "± " + fmt("%.4f", iv.half_width) : "-") << " | " << need_text << " | "
       << (d.empty() ? "-" : std::to_string(lower) + "/" + std::to_string(d.size())) << " | "
       << stats::format_interval(t_interval(stats::paired_differences(ta, tb))) << " | " << ratio_text << " |\n";
  }
}

void Report::per_step_tables(std::ostream& md) const {
  if (spec_.variants.size() < 2) return;
  const std::string base = spec_.variants[spec_.baseline].name;
  md << "\n## Δ validation loss at every evaluation\n\nThe paired difference from " << base << " at each evaluation step "
     << "(plot: `diff_val_<variant>.svg`, the band is the 95% interval). Each row is its own comparison; read the last "
     << "rows, not the best one.\n";
  for (size_t i = 0; i < results_.size(); ++i) {
    if (i == spec_.baseline) continue;
    const VariantResult& r = results_[i];
    const DiffCurve curve = paired_val_difference(results_[spec_.baseline].by_seed, r.by_seed);
    if (curve.step.empty()) continue;
    md << "\n### " << r.variant->name << "\n\n| step | tokens seen | Δ val loss | verdict |\n|---|---|---|---|\n";
    for (size_t k = 0; k < curve.step.size(); ++k)
      md << "| " << curve.step[k] << " | " << tokens_text(curve.tokens[k]) << " | " << stats::format_interval(curve.interval[k])
         << " | " << stats::verdict(curve.interval[k]) << " |\n";
  }
}

void Report::target_table(std::ostream& md) const {
  if (!std::isfinite(spec_.target_loss)) return;
  const std::string base = spec_.variants[spec_.baseline].name;
  md << "\n## Steps to a training loss of " << fmt("%g", spec_.target_loss) << "\n\nThe first logged step at or below it, "
     << "mean [95% interval] over the seeds that reached it; Δ paired with " << base << " over seeds where both reached it.\n\n"
     << "| variant | reached | steps | Δ steps | verdict |\n|---|---|---|---|---|\n";
  for (size_t i = 0; i < results_.size(); ++i) {
    const VariantResult& r = results_[i];
    std::vector<double> reach;
    for (const RunRecord& run : r.runs()) reach.push_back(run.first_step_at_or_below(spec_.target_loss));
    const Interval iv = t_interval(reach);
    md << "| " << r.variant->name << " | " << iv.summary.n << "/" << reach.size() << " | "
       << (iv.summary.n ? stats::format_interval(iv, 0, false) : "not reached") << " | ";
    if (i == spec_.baseline) {
      md << " | |\n";
      continue;
    }
    auto [a, b] = paired(r, [&](const RunRecord& x) { return x.first_step_at_or_below(spec_.target_loss); });
    const Interval d = t_interval(stats::paired_differences(a, b));
    md << stats::format_interval(d, 0) << " | " << (d.summary.n ? stats::verdict(d) : "-") << " |\n";
  }
}

void Report::grid_tables(std::ostream& md) const {
  bool any = false;
  for (const SweepVariant& v : spec_.variants) any = any || v.grid.size() > 1;
  if (!any) return;
  md << "\n## Grid\n\nEvery variant ran at every point of its grid. The chosen point (**bold**) has the lowest mean final "
        "*training* loss over the tuning seeds, as the paper tuned its learning rates on training loss; the validation "
        "loss at each point is shown beside it. A chosen value at the edge of the grid means the best setting may lie "
        "outside it.\n";
  for (const VariantResult& r : results_) {
    const SweepVariant& v = *r.variant;
    if (v.grid.size() < 2) continue;
    md << "\n### " << v.name << "\n\n| point | tuning seeds finished | final train loss | final val loss |\n|---|---|---|---|\n";
    for (size_t p = 0; p < v.grid.size(); ++p) {
      std::vector<double> train, val;
      for (uint64_t seed : v.grid_seeds) {
        const RunSlot& s = slot(v, v.grid[p], seed);
        if (s.usable()) train.push_back(s.record.final_train_loss()), val.push_back(s.record.reported_val_loss());
      }
      const bool chosen = int(p) == r.chosen;
      const std::string label = "`" + v.grid[p].label() + "`";
      md << "| " << (chosen ? "**" + label + "**" : label) << " | " << train.size() << "/" << v.grid_seeds.size() << " | "
         << mean_sd(train) << " | " << mean_sd(val) << " |\n";
    }
    if (r.chosen < 0) {
      md << "\nNo grid point has finished at every tuning seed yet.\n";
      continue;
    }
    // The edge check, per grid path: is the chosen value the smallest or largest of that path's values?
    for (size_t k = 0; k < v.grid[r.chosen].values.size(); ++k) {
      std::set<std::string> values;
      for (const GridPoint& p : v.grid) values.insert(p.values[k].second);
      if (values.size() < 2) continue;
      const std::string& chosen_value = v.grid[r.chosen].values[k].second;
      bool lowest = true, highest = true;
      for (const GridPoint& p : v.grid) {
        const std::string& other = p.values[k].second;
        const double a = std::atof(chosen_value.c_str()), b = std::atof(other.c_str());
        lowest = lowest && a <= b, highest = highest && a >= b;
      }
      if (lowest || highest)
        md << "\n**Edge of the grid:** the chosen " << v.grid[r.chosen].values[k].first << " = " << chosen_value << " is the "
           << (lowest ? "smallest" : "largest") << " value tried; extend the grid past it before trusting this point.\n";
    }
  }
}

void Report::gains_table(std::ostream& md) const {
  // The trained block gains at the last diagnostic step: mean over layers, then over seeds.
  std::set<std::string> quantities;
  for (const VariantResult& r : results_)
    for (const auto& [seed, s] : r.by_seed)
      if (!s->record.diagnostics.empty())
        for (const auto& [q, values] : s->record.diagnostics.back().values)
          if (q.rfind("gain ", 0) == 0) quantities.insert(q);
  if (quantities.empty()) return;
  md << "\n## Block gains at the end\n\nEach block gain at the last diagnostic step (`run.diag_every`), mean over blocks, "
        "then mean [95% interval] over seeds. A gain that is fixed stays at its initial value.\n\n| variant |";
  for (const std::string& q : quantities) md << " " << q.substr(5) << " |";
  md << "\n|---|";
  for (size_t i = 0; i < quantities.size(); ++i) md << "---|";
  md << "\n";
  for (const VariantResult& r : results_) {
    md << "| " << r.variant->name << " |";
    for (const std::string& q : quantities) {
      std::vector<double> per_seed;
      for (const auto& [seed, s] : r.by_seed) {
        if (s->record.diagnostics.empty()) continue;
        auto it = s->record.diagnostics.back().values.find(q);
        if (it == s->record.diagnostics.back().values.end()) continue;
        per_seed.push_back(stats::summarize(it->second).mean);
      }
      md << " " << stats::format_interval(t_interval(per_seed), 3, false) << " |";
    }
    md << "\n";
  }
}

void Report::budget_table(std::ostream& md) const {
  md << "\n## Tuning budget\n\nWhat each variant's numbers cost (Dodge et al. 2019, \"Show your work\"): every run of "
        "the variant, at every grid point and seed (unfinished and failed ones too), the tokens they trained and their "
        "training time on this machine.\n\n"
     << "| variant | grid points | runs | tokens trained | training time |\n|---|---|---|---|---|\n";
  for (const SweepVariant& v : spec_.variants) {
    int runs = 0;
    long long tokens = 0;
    double seconds = 0;
    for (const std::string& key : order_) {
      const RunSlot& s = slots_.at(key);
      if (!s.exists || !s.config_matches || s.variant != &v) continue;  // failed and unfinished runs cost too
      ++runs, tokens += s.record.tokens_seen();
      if (std::isfinite(s.record.elapsed_s)) seconds += s.record.elapsed_s;
    }
    md << "| " << v.name << " | " << v.grid.size() << " | " << runs << " | " << tokens_text(tokens) << " | "
       << (seconds >= 3600 ? fmt("%.1f h", seconds / 3600) : fmt("%.1f min", seconds / 60)) << " |\n";
  }
}

void Report::runs_table(std::ostream& md) const {
  md << "\n## Runs\n\nEvery run folder the sweep names (relative to its `out_dir`). Only finished runs whose saved "
        "config matches what the sweep asks of them count in the tables above; a key the saved config lacks counts as "
        "equal when the sweep's value is that key's default.\n\n| run | status | steps | tokens seen | time | config |\n|---|---|---|---|---|---|\n";
  for (const std::string& key : order_) {
    const RunSlot& s = slots_.at(key);
    // A run the sweep will never train (a grid point that was not chosen, at a seed that does not tune) is no row.
    const SweepVariant& v = *s.variant;
    const bool tunes = std::find(v.grid_seeds.begin(), v.grid_seeds.end(), s.seed) != v.grid_seeds.end();
    const int chosen = results_[size_t(&v - spec_.variants.data())].chosen;
    if (!s.exists && v.tuned_separately() && !tunes && int(s.point) != chosen) continue;
    const std::string status = !s.exists ? "not started" : s.record.finished ? "finished" : "unfinished";
    md << "| " << s.shown << " | " << status << " | " << (s.exists ? std::to_string(s.record.last_step) + "/" + std::to_string(s.record.planned_steps) : "-")
       << " | " << (s.exists ? tokens_text(s.record.tokens_seen()) : "-") << " | "
       << (s.exists && std::isfinite(s.record.elapsed_s) ? fmt("%.0f s", s.record.elapsed_s) : "-") << " | "
       << (s.exists ? s.config_note : "-") << " |\n";
  }
  if (const SweepOutcome* o = options_.outcome) {
    auto list = [&](const char* what, const std::vector<std::string>& dirs) {
      md << "- " << what << " (" << dirs.size() << "):";
      for (const auto& d : dirs) md << " `" << d << "`";
      md << "\n";
    };
    md << "\n### This invocation\n\n";
    list("trained now", o->trained);
    list("resumed", o->resumed);
    list("reused (finished, same config)", o->reused);
    if (!o->failed.empty()) list("failed", o->failed);
  }
}

std::string Report::markdown(const std::string& report_dir) {
  std::ostringstream md;
  header(md);
  results_table(md);
  paired_table(md);
  target_table(md);
  grid_tables(md);
  gains_table(md);
  per_step_tables(md);
  budget_table(md);
  runs_table(md);

  std::vector<LossCurveGroup> groups;
  std::vector<DiagGroup> diag_groups;
  for (const VariantResult& r : results_) {
    groups.push_back({r.variant->name, r.runs()});
    diag_groups.push_back({r.variant->name, r.runs()});
  }
  fs::create_directories(report_dir);
  write_file_atomically(report_dir + "/loss_vs_step.svg", loss_plot(spec_.name, groups, false));
  write_file_atomically(report_dir + "/loss_vs_time.svg", loss_plot(spec_.name, groups, true));
  md << "\n## Plots\n\nTraining loss (solid, band = min..max over seeds) and validation loss (dashed, markers), mean over "
        "seeds:\n\n![loss against step](loss_vs_step.svg)\n\n![loss against training time](loss_vs_time.svg)\n";
  for (size_t i = 0; i < results_.size(); ++i) {
    if (i == spec_.baseline) continue;
    const DiffCurve curve = paired_val_difference(results_[spec_.baseline].by_seed, results_[i].by_seed);
    if (curve.step.empty()) continue;
    const std::string file = "diff_val_" + results_[i].variant->name + ".svg";
    write_file_atomically(report_dir + "/" + file,
                          diff_plot(results_[i].variant->name + " - " + spec_.variants[spec_.baseline].name, curve));
    md << "\n![" << results_[i].variant->name << " minus baseline](" << file << ")\n";
  }
  const std::vector<std::string> diag_files = write_diagnostic_plots(report_dir, diag_groups);
  if (!diag_files.empty()) {
    md << "\n## Signal propagation (run.diag_every)\n\nPer layer at the last diagnostic step, and the deepest layer's "
          "value during training (mean over seeds, band = min..max):\n\n";
    for (const std::string& f : diag_files) md << "- [" << f << "](" << f << ")\n";
  }
  return md.str();
}

}  // namespace

std::string write_sweep_report(const SweepSpec& spec, const SweepReportOptions& options) {
  Report report(spec, options);
  const std::string runs_root = options.runs_root.empty() ? spec.out_dir : options.runs_root;
  const std::string report_dir = !options.report_dir.empty() ? options.report_dir
                                 : spec.report_subdir == "."  ? runs_root
                                                              : runs_root + "/" + spec.report_subdir;
  const std::string text = report.markdown(report_dir);
  write_file_atomically(report_dir + "/report.md", text);
  return text;
}

}  // namespace bf
