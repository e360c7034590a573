// A line plot as one self-contained <svg> element: title, axes with units,
// grid, one line per series with point markers, optional whiskers (a range
// per point), dashed reference lines and a legend. No scripts, no external
// resources; hovering a point shows its value (an SVG <title>).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace cacheopt::experiment {

struct Series {
  std::string name;
  std::vector<double> x, y;     // y NaN: no point there (the line breaks)
  std::vector<double> lo, hi;   // empty, or per point: a whisker from lo to hi
};

struct LinePlot {
  std::string title, x_label, y_label;
  bool x_log = false, y_log = false;    // non-positive values are not drawn on a log axis
  std::vector<std::string> x_categories;  // non-empty: categorical x at 0..n-1
  std::optional<double> y_min, y_max;   // fixed y range ends (e.g. 0..1 for attainment)
  std::vector<double> h_lines, v_lines;  // dashed reference lines
  int width = 420, height = 270;        // without the legend
};

std::string RenderLinePlot(const LinePlot& plot, const std::vector<Series>& series);

}  // namespace cacheopt::experiment
