#include "experiments/diag_plots.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "io/atomic_file.h"
#include "experiments/svg_plot.h"

namespace bf {
namespace {

// Mean, min and max of the finite values; NaN when there are none.
struct Spread {
  double mean = NAN, lo = NAN, hi = NAN;
};
Spread spread(const std::vector<double>& values) {
  Spread s;
  double sum = 0;
  int n = 0;
  for (double v : values) {
    if (!std::isfinite(v)) continue;
    sum += v, ++n;
    s.lo = n == 1 ? v : std::min(s.lo, v);
    s.hi = n == 1 ? v : std::max(s.hi, v);
  }
  if (n > 0) s.mean = sum / n;
  return s;
}

void push(PlotSeries& series, double x, const Spread& s) {
  if (!std::isfinite(s.mean)) return;  // no run has the quantity here: no point
  series.x.push_back(x);
  series.y.push_back(s.mean);
  series.lo.push_back(s.lo);
  series.hi.push_back(s.hi);
}

const std::vector<double>* values_of(const DiagSnapshot& snap, const std::string& quantity) {
  auto it = snap.values.find(quantity);
  return it == snap.values.end() ? nullptr : &it->second;
}

std::string file_stem(const std::string& quantity) {
  std::string s = quantity;
  std::replace(s.begin(), s.end(), ' ', '_');
  return "diag_" + s;
}

}  // namespace

PlotSeries diag_by_layer_series(const DiagGroup& group, const std::string& quantity) {
  PlotSeries series{group.name, {}, {}, {}, {}};
  size_t layers = 0;
  for (const RunRecord& r : group.runs)
    if (!r.diagnostics.empty()) layers = std::max(layers, r.diagnostics.back().layers.size());
  for (size_t layer = 0; layer < layers; ++layer) {
    std::vector<double> at_layer;
    for (const RunRecord& r : group.runs) {
      if (r.diagnostics.empty()) continue;
      const std::vector<double>* v = values_of(r.diagnostics.back(), quantity);
      if (v && layer < v->size()) at_layer.push_back((*v)[layer]);
    }
    push(series, double(layer), spread(at_layer));
  }
  return series;
}

PlotSeries diag_vs_step_series(const DiagGroup& group, const std::string& quantity) {
  PlotSeries series{group.name, {}, {}, {}, {}};
  // Runs of one group log diagnostics at the same steps; a step missing from a run is left out of it.
  std::set<double> steps;
  for (const RunRecord& r : group.runs)
    for (const DiagSnapshot& d : r.diagnostics) steps.insert(d.step);
  for (double step : steps) {
    std::vector<double> at_step;
    for (const RunRecord& r : group.runs)
      for (const DiagSnapshot& d : r.diagnostics) {
        if (d.step != step) continue;
        const std::vector<double>* v = values_of(d, quantity);
        if (!v) continue;
        // The deepest layer that has the quantity (for token_cosine: the last block's output).
        for (size_t i = v->size(); i-- > 0;)
          if (std::isfinite((*v)[i])) {
            at_step.push_back((*v)[i]);
            break;
          }
      }
    push(series, step, spread(at_step));
  }
  return series;
}

std::vector<std::string> write_diagnostic_plots(const std::string& out_dir, const std::vector<DiagGroup>& groups) {
  // The quantities in order of first appearance (stable across runs of the same engine).
  std::vector<std::string> quantities;
  for (const DiagGroup& g : groups)
    for (const RunRecord& r : g.runs)
      for (const DiagSnapshot& d : r.diagnostics)
        for (const auto& [q, values] : d.values)
          if (std::find(quantities.begin(), quantities.end(), q) == quantities.end() &&
              std::any_of(values.begin(), values.end(), [](double v) { return std::isfinite(v); }))
            quantities.push_back(q);
  std::vector<std::string> written;
  for (const std::string& q : quantities) {
    std::vector<PlotSeries> by_layer, vs_step;
    for (const DiagGroup& g : groups) {
      by_layer.push_back(diag_by_layer_series(g, q));
      vs_step.push_back(diag_vs_step_series(g, q));
    }
    const std::string stem = file_stem(q);
    write_file_atomically(out_dir + "/" + stem + "_by_layer.svg",
                          render_svg_plot(q + " per layer, at the last diagnostic step", "layer (0 = embedding output)", q, by_layer));
    write_file_atomically(out_dir + "/" + stem + "_vs_step.svg",
                          render_svg_plot(q + " of the deepest layer that has it, during training", "step", q, vs_step));
    written.push_back(stem + "_by_layer.svg");
    written.push_back(stem + "_vs_step.svg");
  }
  return written;
}

}  // namespace bf
