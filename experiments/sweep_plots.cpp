#include "experiments/sweep_plots.h"

#include <algorithm>
#include <set>

#include "experiments/svg_plot.h"

namespace bf {
namespace {

// Mean and min..max over runs at each logged point (the runs of one variant log at the same steps).
PlotSeries mean_band(const std::string& name, const std::vector<RunRecord>& runs, bool validation, bool by_time) {
  PlotSeries s;
  s.name = name;
  size_t n = SIZE_MAX;
  for (const RunRecord& r : runs) n = std::min(n, validation ? r.val_loss.size() : r.train_loss.size());
  if (runs.empty()) return s;
  for (size_t i = 0; i < n; ++i) {
    double x = 0, sum = 0, lo = INFINITY, hi = -INFINITY;
    for (const RunRecord& r : runs) {
      const double y = validation ? r.val_loss[i] : r.train_loss[i];
      double xi = validation ? r.eval_step[i] : r.train_step[i];
      if (by_time) {
        // An eval event's time is the training time at its step: the train event of that step has it.
        if (!validation) xi = r.train_elapsed_s[i];
        else {
          auto it = std::find(r.train_step.begin(), r.train_step.end(), r.eval_step[i]);
          xi = it == r.train_step.end() ? NAN : r.train_elapsed_s[size_t(it - r.train_step.begin())];
        }
      }
      x += xi, sum += y, lo = std::min(lo, y), hi = std::max(hi, y);
    }
    if (!std::isfinite(x)) continue;
    s.x.push_back(x / double(runs.size()));
    s.y.push_back(sum / double(runs.size()));
    if (!validation) s.lo.push_back(lo), s.hi.push_back(hi);
  }
  return s;
}

}  // namespace

std::string loss_plot(const std::string& title, const std::vector<LossCurveGroup>& groups, bool by_time) {
  std::vector<PlotSeries> series;
  for (size_t k = 0; k < groups.size(); ++k) {
    PlotSeries train = mean_band(groups[k].name, groups[k].runs, false, by_time);
    PlotSeries val = mean_band(groups[k].name + " val", groups[k].runs, true, by_time);
    train.color = val.color = static_cast<int>(k);
    val.dashed = true;
    series.push_back(std::move(train));
    series.push_back(std::move(val));
  }
  return render_svg_plot(title + ": train (solid) and validation (dashed) loss", by_time ? "training seconds" : "step",
                         "loss (nats)", series);
}

DiffCurve paired_val_difference_of(const std::vector<std::pair<const RunRecord*, const RunRecord*>>& pairs) {
  DiffCurve curve;
  if (pairs.empty()) return curve;
  const RunRecord& first = *pairs.front().first;
  for (size_t i = 0; i < first.eval_step.size(); ++i) {
    const double step = first.eval_step[i];
    std::vector<double> d;
    for (const auto& [base, variant] : pairs) {
      auto at = [step](const RunRecord& r) {
        auto it = std::find(r.eval_step.begin(), r.eval_step.end(), step);
        return it == r.eval_step.end() ? NAN : r.val_loss[size_t(it - r.eval_step.begin())];
      };
      const double a = at(*base), b = at(*variant);
      if (std::isfinite(a) && std::isfinite(b)) d.push_back(b - a);
    }
    if (d.empty()) continue;
    curve.step.push_back(static_cast<int64_t>(step));
    curve.tokens.push_back(static_cast<int64_t>(step) * first.tokens_per_step);
    curve.interval.push_back(stats::t_interval(d));
  }
  return curve;
}

std::string diff_plot(const std::string& title, const DiffCurve& curve) {
  PlotSeries s;
  s.name = "mean";
  bool band = false;
  for (size_t i = 0; i < curve.step.size(); ++i) {
    s.x.push_back(double(curve.step[i]));
    s.y.push_back(curve.interval[i].summary.mean);
    s.lo.push_back(curve.interval[i].lo);
    s.hi.push_back(curve.interval[i].hi);
    band = band || curve.interval[i].has_interval();
  }
  if (!band) s.lo.clear(), s.hi.clear();  // one seed: no interval to draw
  s.name = band ? "mean, 95% t" : "n = 1";
  PlotOptions options;
  options.zero_line = true;
  return render_svg_plot(title + ": paired Δ validation loss (below 0: better)", "step", "Δ loss (nats)", {s}, options);
}

}  // namespace bf
