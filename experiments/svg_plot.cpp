#include "experiments/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace bf {
namespace {

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"};

// "Nice" tick step: 1, 2 or 5 times a power of ten, giving about `count` ticks over the range.
double tick_step(double range, int count) {
  const double raw = range / count, power = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (raw <= m * power) return m * power;
  return 10 * power;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '<') out += "&lt;";
    else if (c == '>') out += "&gt;";
    else if (c == '&') out += "&amp;";
    else out += c;
  }
  return out;
}

}  // namespace

std::string render_svg_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                            const std::vector<PlotSeries>& series, const PlotOptions& options) {
  const double width = 720, height = 440, left = 70, right = 180, top = 40, bottom = 50;
  double x0 = std::numeric_limits<double>::infinity(), x1 = -x0, y0 = x0, y1 = -x0;
  for (const PlotSeries& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      const double lo = s.lo.empty() ? s.y[i] : s.lo[i], hi = s.hi.empty() ? s.y[i] : s.hi[i];
      if (std::isfinite(lo)) y0 = std::min(y0, lo);
      if (std::isfinite(hi)) y1 = std::max(y1, hi);
    }
  if (options.zero_line && std::isfinite(y0)) y0 = std::min(y0, 0.0), y1 = std::max(y1, 0.0);
  if (!(x1 > x0)) x0 = 0, x1 = std::max(1.0, x1);
  if (!(y1 > y0)) y0 = std::isfinite(y0) ? y0 - 1 : 0, y1 = y0 + 2;
  // Margins: no curve touches the frame.
  const double margin = 0.05 * (y1 - y0);
  y0 -= margin, y1 += margin;
  const double pw = width - left - right, ph = height - top - bottom;
  auto px = [&](double x) { return left + (x - x0) / (x1 - x0) * pw; };
  auto py = [&](double y) { return top + (1 - (y - y0) / (y1 - y0)) * ph; };
  std::ostringstream out;
  char buf[256];
  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
      << "\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  std::snprintf(buf, sizeof buf, "<text x=\"%g\" y=\"24\" font-size=\"15\">%s</text>\n", left, escape(title).c_str());
  out << buf;
  // Grid and ticks.
  const double xs = tick_step(x1 - x0, 6), ys = tick_step(y1 - y0, 6);
  // Ticks at integer multiples of the step: no accumulated rounding, and + 0.0 turns -0 into 0, so the
  // zero tick prints as 0, not 1.4e-17 or -0.
  for (double k = std::ceil(x0 / xs), x = k * xs + 0.0; x <= x1 + 1e-9 * xs; k += 1, x = k * xs + 0.0) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
                  "text-anchor=\"middle\">%g</text>\n",
                  px(x), top, px(x), top + ph, px(x), top + ph + 16, x);
    out << buf;
  }
  for (double k = std::ceil(y0 / ys), y = k * ys + 0.0; y <= y1 + 1e-9 * ys; k += 1, y = k * ys + 0.0) {
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"%.1f\" y=\"%.1f\" "
                  "text-anchor=\"end\">%g</text>\n",
                  left, py(y), left + pw, py(y), left - 6, py(y) + 4, y);
    out << buf;
  }
  std::snprintf(buf, sizeof buf,
                "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#333\"/>\n"
                "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%s</text>\n"
                "<text transform=\"translate(18,%g) rotate(-90)\" text-anchor=\"middle\">%s</text>\n",
                left, top, pw, ph, left + pw / 2, height - 10, escape(x_label).c_str(), top + ph / 2,
                escape(y_label).c_str());
  out << buf;
  if (options.zero_line) {
    std::snprintf(buf, sizeof buf, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\"/>\n", left, py(0),
                  left + pw, py(0));
    out << buf;
  }
  auto color = [&](size_t k) { return kColors[(series[k].color >= 0 ? size_t(series[k].color) : k) % 8]; };
  // Bands first (under the lines), then lines, then the legend.
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    if (s.lo.empty() || s.hi.empty() || s.x.empty()) continue;
    out << "<polygon fill=\"" << color(k) << "\" fill-opacity=\"0.18\" stroke=\"none\" points=\"";
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.hi[i])) out << px(s.x[i]) << ',' << py(s.hi[i]) << ' ';
    for (size_t i = s.x.size(); i-- > 0;)
      if (std::isfinite(s.lo[i])) out << px(s.x[i]) << ',' << py(s.lo[i]) << ' ';
    out << "\"/>\n";
  }
  int legend_row = 0;
  for (size_t k = 0; k < series.size(); ++k) {
    const PlotSeries& s = series[k];
    const char* dash = s.dashed ? " stroke-dasharray=\"6,4\"" : "";
    out << "<polyline fill=\"none\" stroke-width=\"1.8\" stroke=\"" << color(k) << "\"" << dash << " points=\"";
    for (size_t i = 0; i < s.x.size(); ++i)
      if (std::isfinite(s.y[i])) out << px(s.x[i]) << ',' << py(s.y[i]) << ' ';
    out << "\"/>\n";
    // Markers where points are few (validation curves, per-layer plots, diagnostics).
    if (s.x.size() <= 16 || s.dashed)
      for (size_t i = 0; i < s.x.size(); ++i)
        if (std::isfinite(s.y[i]))
          out << "<circle cx=\"" << px(s.x[i]) << "\" cy=\"" << py(s.y[i]) << "\" r=\"2.5\" fill=\"" << color(k) << "\"/>\n";
    if (!s.in_legend) continue;
    const double row = 18.0 * legend_row++;
    std::snprintf(buf, sizeof buf,
                  "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"%s\" stroke-width=\"3\"%s/>"
                  "<text x=\"%g\" y=\"%g\">%s</text>\n",
                  left + pw + 12, top + 14 + row, left + pw + 32, top + 14 + row, color(k), dash, left + pw + 38,
                  top + 18 + row, escape(s.name).c_str());
    out << buf;
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace bf
