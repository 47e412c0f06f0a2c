// A small SVG line-plot writer (no dependency): lines (solid or dashed) with an optional band, axes with
// ticks and 5% margins above and below the data, a legend. Used for the sweep report and `bareformer plot`. Chosen over matplotlib so that plots need
// nothing beyond the binary and open in any browser.
#pragma once
#include <string>
#include <vector>

namespace bf {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;      // the line (e.g. the mean over seeds)
  std::vector<double> lo, hi;    // optional band, same length as x (e.g. min and max over seeds)
  bool dashed = false;           // validation curves: dashed, beside the solid training curve
  int color = -1;                // index into the palette (-1: the series' own index); a variant's train
                                 // and validation lines share one
  bool in_legend = true;
};

struct PlotOptions {
  bool zero_line = false;  // a horizontal line at y = 0 (difference plots)
};

std::string render_svg_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                            const std::vector<PlotSeries>& series, const PlotOptions& options = {});

}  // namespace bf
