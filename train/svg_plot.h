// A small SVG line-plot writer (no dependency): lines with an optional min..max band, axes with ticks,
// a legend. Used for the sweep report and `bareformer plot`. Chosen over matplotlib so that plots need
// nothing beyond the binary and open in any browser.
#pragma once
#include <string>
#include <vector>

namespace bf {

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;      // the line (e.g. the mean over seeds)
  std::vector<double> lo, hi;    // optional band, same length as x (e.g. min and max over seeds)
};

std::string render_svg_plot(const std::string& title, const std::string& x_label, const std::string& y_label,
                            const std::vector<PlotSeries>& series);

}  // namespace bf
