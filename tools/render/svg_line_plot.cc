#include "render/svg_line_plot.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "render/svg.h"
#include "render/svg_axis.h"
#include "render/svg_legend.h"

namespace cacheopt::experiment {
namespace {

struct Range {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  void Add(double v, bool log) {
    if (!std::isfinite(v) || (log && v <= 0)) return;
    min = std::min(min, v);
    max = std::max(max, v);
  }
  bool empty() const { return min > max; }
};

bool Drawable(double v, bool log) { return std::isfinite(v) && (!log || v > 0); }

Axis MakeAxis(const Range& r, bool log, std::optional<double> lo, std::optional<double> hi) {
  if (log) {
    double a = lo.value_or(r.empty() ? 1 : r.min), b = hi.value_or(r.empty() ? 10 : r.max);
    return LogAxis(a, b);
  }
  double a = lo ? *lo : (r.empty() ? 0 : r.min), b = hi ? *hi : (r.empty() ? 1 : r.max);
  if (!lo && !r.empty() && r.min >= 0 && a > 0 && a < 0.5 * b) a = 0;  // start at 0 when near it
  return LinearAxis(a, b);
}

}  // namespace

std::string RenderLinePlot(const LinePlot& p, const std::vector<Series>& series) {
  const bool cat = !p.x_categories.empty();
  Range xr, yr;
  for (const auto& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!Drawable(s.y[i], p.y_log) || !Drawable(s.x[i], p.x_log && !cat)) continue;
      xr.Add(s.x[i], p.x_log && !cat);
      yr.Add(s.y[i], p.y_log);
      if (i < s.lo.size()) yr.Add(s.lo[i], p.y_log);
      if (i < s.hi.size()) yr.Add(s.hi[i], p.y_log);
    }
  }
  for (double v : p.h_lines) yr.Add(v, p.y_log);
  for (double v : p.v_lines) xr.Add(v, p.x_log && !cat);
  Axis xa = cat ? CategoryAxis(p.x_categories.size()) : MakeAxis(xr, p.x_log, std::nullopt, std::nullopt);
  Axis ya = MakeAxis(yr, p.y_log, p.y_min, p.y_max);

  const double left = 62, right = 20, top = 28, bottom = 44;
  const double W = p.width, H = p.height;
  const double pw = W - left - right, ph = H - top - bottom;
  auto X = [&](double v) { return left + pw * std::clamp(xa.Frac(v), 0.0, 1.0); };
  auto Y = [&](double v) { return top + ph * (1 - std::clamp(ya.Frac(v), 0.0, 1.0)); };

  std::vector<std::string> names;
  for (const auto& s : series) names.push_back(s.name);
  LegendLayout legend = RenderLegend(names, left, H - 4, pw, true);
  const double total_h = H + legend.height;

  std::string o;
  o += "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"plot\" width=\"" + Coord(W) + "\" height=\"" +
       Coord(total_h) + "\" viewBox=\"0 0 " + Coord(W) + " " + Coord(total_h) + "\" role=\"img\">";
  o += "<title>" + XmlEscape(p.title) + "</title>";
  o += "<text class=\"t\" x=\"" + Coord(W / 2) + "\" y=\"16\" text-anchor=\"middle\">" + XmlEscape(p.title) +
       "</text>";
  // Grid and ticks.
  for (double t : ya.ticks) {
    double y = Y(t);
    o += "<line class=\"g\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(y) + "\" x2=\"" + Coord(left + pw) +
         "\" y2=\"" + Coord(y) + "\"/>";
    o += "<text x=\"" + Coord(left - 5) + "\" y=\"" + Coord(y + 4) + "\" text-anchor=\"end\">" + Label(t) +
         "</text>";
  }
  double slot = cat ? pw / std::max<size_t>(1, p.x_categories.size()) : 0;
  bool rotate = false;
  if (cat)
    for (const auto& c : p.x_categories) rotate = rotate || TextWidth(c) > slot - 4;
  for (size_t i = 0; i < xa.ticks.size(); ++i) {
    double t = xa.ticks[i];
    double x = X(t);
    o += "<line class=\"g\" x1=\"" + Coord(x) + "\" y1=\"" + Coord(top) + "\" x2=\"" + Coord(x) + "\" y2=\"" +
         Coord(top + ph) + "\"/>";
    std::string text = cat ? XmlEscape(p.x_categories[i]) : Label(t);
    if (rotate) {
      o += "<text x=\"" + Coord(x) + "\" y=\"" + Coord(top + ph + 12) + "\" text-anchor=\"end\" transform=\"rotate(-25 " +
           Coord(x) + " " + Coord(top + ph + 12) + ")\">" + text + "</text>";
    } else {
      o += "<text x=\"" + Coord(x) + "\" y=\"" + Coord(top + ph + 14) + "\" text-anchor=\"middle\">" + text +
           "</text>";
    }
  }
  o += "<rect class=\"f\" x=\"" + Coord(left) + "\" y=\"" + Coord(top) + "\" width=\"" + Coord(pw) + "\" height=\"" +
       Coord(ph) + "\"/>";
  // Axis labels.
  o += "<text x=\"" + Coord(left + pw / 2) + "\" y=\"" + Coord(top + ph + 34) + "\" text-anchor=\"middle\">" +
       XmlEscape(p.x_label) + "</text>";
  o += "<text x=\"14\" y=\"" + Coord(top + ph / 2) + "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " +
       Coord(top + ph / 2) + ")\">" + XmlEscape(p.y_label) + "</text>";
  // Reference lines.
  for (double v : p.h_lines)
    if (Drawable(v, p.y_log))
      o += "<line class=\"r\" x1=\"" + Coord(left) + "\" y1=\"" + Coord(Y(v)) + "\" x2=\"" + Coord(left + pw) +
           "\" y2=\"" + Coord(Y(v)) + "\"/>";
  for (double v : p.v_lines)
    if (Drawable(v, p.x_log && !cat))
      o += "<line class=\"r\" x1=\"" + Coord(X(v)) + "\" y1=\"" + Coord(top) + "\" x2=\"" + Coord(X(v)) +
           "\" y2=\"" + Coord(top + ph) + "\"/>";
  // Series.
  bool any = false;
  const double dodge = series.size() > 1 ? 2.5 : 0;  // whiskers of series side by side
  for (size_t k = 0; k < series.size(); ++k) {
    const double wx = dodge * (static_cast<double>(k) - 0.5 * static_cast<double>(series.size() - 1));
    const Series& s = series[k];
    const char* c = SeriesColor(k);
    std::string pts;
    auto flush = [&]() {
      if (pts.find(' ') != std::string::npos)
        o += "<polyline fill=\"none\" stroke=\"" + std::string(c) + "\" stroke-width=\"1.6\" points=\"" + pts +
             "\"/>";
      pts.clear();
    };
    std::string marks;
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!Drawable(s.y[i], p.y_log) || !Drawable(s.x[i], p.x_log && !cat)) {
        flush();
        continue;
      }
      any = true;
      double x = X(s.x[i]), y = Y(s.y[i]);
      pts += (pts.empty() ? "" : " ") + Coord(x) + "," + Coord(y);
      if (i < s.lo.size() && i < s.hi.size() && Drawable(s.lo[i], p.y_log) && Drawable(s.hi[i], p.y_log) &&
          s.lo[i] != s.hi[i])
        marks += "<line stroke=\"" + std::string(c) + "\" stroke-opacity=\"0.55\" x1=\"" + Coord(x + wx) +
                 "\" y1=\"" + Coord(Y(s.lo[i])) + "\" x2=\"" + Coord(x + wx) + "\" y2=\"" + Coord(Y(s.hi[i])) +
                 "\"/>";
      std::string tip = s.name + ": " + (cat && s.x[i] >= 0 && s.x[i] < p.x_categories.size()
                                             ? p.x_categories[static_cast<size_t>(s.x[i])]
                                             : Label(s.x[i])) +
                        ", " + Label(s.y[i]);
      marks += "<circle cx=\"" + Coord(x) + "\" cy=\"" + Coord(y) + "\" r=\"2.6\" fill=\"" + std::string(c) +
               "\"><title>" + XmlEscape(tip) + "</title></circle>";
    }
    flush();
    o += marks;
  }
  if (!any)
    o += "<text x=\"" + Coord(left + pw / 2) + "\" y=\"" + Coord(top + ph / 2) +
         "\" text-anchor=\"middle\" class=\"n\">no data</text>";
  o += legend.svg;
  o += "</svg>";
  return o;
}

}  // namespace cacheopt::experiment
