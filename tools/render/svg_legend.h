// A plot legend laid out in rows below the plot: a colour swatch and the
// series name per entry, wrapping at the plot's width.
#pragma once

#include <string>
#include <vector>

namespace cacheopt::experiment {

struct LegendLayout {
  std::string svg;   // elements to place with their top at `top`
  double height = 0;  // pixels the legend takes
};

// Entries coloured by SeriesColor(i). `line` draws a line swatch (line
// plots), otherwise a filled square (bars).
LegendLayout RenderLegend(const std::vector<std::string>& names, double left, double top, double width, bool line);

}  // namespace cacheopt::experiment
