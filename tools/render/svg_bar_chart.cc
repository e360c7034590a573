#include "render/svg_bar_chart.h"

#include <algorithm>
#include <cmath>

#include "render/svg.h"
#include "render/svg_axis.h"
#include "render/svg_legend.h"

namespace cacheopt::experiment {

std::string RenderBarChart(const BarChart& c, const std::vector<BarGroup>& groups) {
  const size_t ns = std::max<size_t>(1, c.series.size());
  double vmax = 0, vmin_pos = 0;
  auto add = [&](double v) {
    if (!std::isfinite(v)) return;
    vmax = std::max(vmax, v);
    if (v > 0 && (vmin_pos == 0 || v < vmin_pos)) vmin_pos = v;
  };
  double label_w = 40;
  for (const auto& g : groups) {
    label_w = std::max(label_w, TextWidth(g.label));
    for (double v : g.values) add(v);
    for (double v : g.hi) add(v);
  }
  label_w = std::min(label_w + 10, 0.4 * c.width);
  // Room right of the bars for the longest value text (10 px font).
  double text_w = 30;
  for (const auto& g : groups)
    for (size_t k = 0; k < g.values.size(); ++k)
      text_w = std::max(text_w, TextWidth(Label(g.values[k]) + (k < g.notes.size() ? " " + g.notes[k] : "")));
  text_w = std::min(text_w + 8, 0.42 * c.width);
  Axis a = c.log ? LogAxis(vmin_pos > 0 ? vmin_pos : 1, vmax > 0 ? vmax : 10) : LinearAxis(0, vmax > 0 ? vmax : 1);

  const double bar_h = 11, gap = 9, top = 28, value_room = text_w, right = 6;
  const double left = label_w;
  const double pw = c.width - left - value_room - right;
  const double group_h = ns * bar_h + gap;
  const double ph = std::max<double>(group_h, groups.size() * group_h);
  auto X = [&](double v) { return left + pw * std::clamp(a.Frac(v), 0.0, 1.0); };

  LegendLayout legend;
  if (c.series.size() > 1) legend = RenderLegend(c.series, left, top + ph + 40, pw + value_room, false);
  const double total_h = top + ph + 40 + legend.height;

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" + Coord(c.width) + "\" height=\"" +
       Coord(total_h) + "\" viewBox=\"0 0 " + Coord(c.width) + " " + Coord(total_h) + "\" role=\"img\">";
  o += "<title>" + XmlEscape(c.title) + "</title>";
  o += "<text class=\"t\" x=\"" + Coord(c.width / 2.0) + "\" y=\"16\" text-anchor=\"middle\">" + XmlEscape(c.title) +
       "</text>";
  for (double t : a.ticks) {
    double x = X(t);
    o += "<line class=\"g\" x1=\"" + Coord(x) + "\" y1=\"" + Coord(top) + "\" x2=\"" + Coord(x) + "\" y2=\"" +
         Coord(top + ph) + "\"/>";
    o += "<text x=\"" + Coord(x) + "\" y=\"" + Coord(top + ph + 14) + "\" text-anchor=\"middle\">" + Label(t) +
         "</text>";
  }
  o += "<text x=\"" + Coord(left + pw / 2) + "\" y=\"" + Coord(top + ph + 32) + "\" text-anchor=\"middle\">" +
       XmlEscape(c.value_label) + "</text>";
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    const BarGroup& g = groups[gi];
    double gy = top + gi * group_h + gap / 2;
    o += "<text x=\"" + Coord(left - 6) + "\" y=\"" + Coord(gy + ns * bar_h / 2 + 4) + "\" text-anchor=\"end\">" +
         XmlEscape(g.label) + "</text>";
    for (size_t k = 0; k < ns; ++k) {
      double y = gy + k * bar_h;
      double v = k < g.values.size() ? g.values[k] : NAN;
      std::string name = k < c.series.size() ? c.series[k] : "";
      std::string note = k < g.notes.size() ? g.notes[k] : "";
      if (!std::isfinite(v) || (c.log && v <= 0)) {
        o += "<text class=\"n\" x=\"" + Coord(left + 4) + "\" y=\"" + Coord(y + bar_h - 2) + "\">n/a" +
             (note.empty() ? "" : " " + XmlEscape(note)) + "</text>";
        continue;
      }
      double x1 = X(v);
      bool has_whisker = k < g.lo.size() && k < g.hi.size() && std::isfinite(g.lo[k]) && std::isfinite(g.hi[k]);
      std::string tip = g.label + (name.empty() ? "" : " / " + name) + ": " + Label(v) +
                        (has_whisker && note.empty() ? " (range " + Label(g.lo[k]) + ".." + Label(g.hi[k]) + ")" : "") +
                        (note.empty() ? "" : " " + note);
      o += "<rect x=\"" + Coord(left) + "\" y=\"" + Coord(y + 1) + "\" width=\"" + Coord(std::max(0.0, x1 - left)) +
           "\" height=\"" + Coord(bar_h - 2) + "\" fill=\"" + SeriesColor(k) + "\"><title>" + XmlEscape(tip) +
           "</title></rect>";
      double text_x = x1;
      if (has_whisker) {
        double a0 = X(g.lo[k]), a1 = X(g.hi[k]), ym = y + bar_h / 2;
        o += "<path class=\"w\" d=\"M" + Coord(a0) + " " + Coord(ym) + "H" + Coord(a1) + "M" + Coord(a0) + " " +
             Coord(ym - 3) + "V" + Coord(ym + 3) + "M" + Coord(a1) + " " + Coord(ym - 3) + "V" + Coord(ym + 3) +
             "\"/>";
        text_x = std::max(text_x, a1);
      }
      o += "<text class=\"v\" x=\"" + Coord(text_x + 4) + "\" y=\"" + Coord(y + bar_h - 2) + "\">" + Label(v) +
           (note.empty() ? "" : " " + XmlEscape(note)) + "</text>";
    }
  }
  o += "<line class=\"a\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(top) + "\" x2=\"" + Coord(left) + "\" y2=\"" +
       Coord(top + ph) + "\"/>";
  o += legend.svg;
  o += "</svg>";
  return o;
}

}  // namespace cacheopt::experiment
