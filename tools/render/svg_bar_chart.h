// A horizontal grouped bar chart as one self-contained <svg>: one group per
// category (its label on the left), one bar per series in each group, an
// optional whisker per bar (e.g. the min..max over seeds), the value printed
// after each bar, a value axis with units and a legend.
#pragma once

#include <string>
#include <vector>

namespace cacheopt::experiment {

struct BarGroup {
  std::string label;
  std::vector<double> values;  // one per series; NaN: no bar ("n/a")
  std::vector<double> lo, hi;  // empty, or one per series: a whisker
  std::vector<std::string> notes;  // empty, or one per series: text after the value
};

struct BarChart {
  std::string title, value_label;
  std::vector<std::string> series;  // legend (omitted when only one)
  bool log = false;
  int width = 520;
};

std::string RenderBarChart(const BarChart& chart, const std::vector<BarGroup>& groups);

}  // namespace cacheopt::experiment
