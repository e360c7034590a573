#include "render/svg_legend.h"

#include "render/svg.h"

namespace cacheopt::experiment {

LegendLayout RenderLegend(const std::vector<std::string>& names, double left, double top, double width, bool line) {
  LegendLayout out;
  if (names.empty()) return out;
  const double row_h = 15;
  double x = left, y = top;
  for (size_t i = 0; i < names.size(); ++i) {
    double w = 18 + TextWidth(names[i]) + 16;
    if (x > left && x + w > left + width) {
      x = left;
      y += row_h;
    }
    const char* c = SeriesColor(i);
    if (line) {
      out.svg += "<line x1=\"" + Coord(x) + "\" y1=\"" + Coord(y + 7) + "\" x2=\"" + Coord(x + 14) + "\" y2=\"" +
                 Coord(y + 7) + "\" stroke=\"" + c + "\" stroke-width=\"2\"/>";
    } else {
      out.svg += "<rect x=\"" + Coord(x + 2) + "\" y=\"" + Coord(y + 2) + "\" width=\"10\" height=\"10\" fill=\"" +
                 c + "\"/>";
    }
    out.svg += "<text x=\"" + Coord(x + 18) + "\" y=\"" + Coord(y + 11) + "\">" + XmlEscape(names[i]) + "</text>";
    x += w;
  }
  out.height = y - top + row_h + 4;
  return out;
}

}  // namespace cacheopt::experiment
