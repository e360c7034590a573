#include "render/svg.h"

#include <cmath>
#include <cstdio>

namespace cacheopt::experiment {

std::string XmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Coord(double v) {
  if (!std::isfinite(v)) v = 0;
  double r = std::round(v * 10) / 10;
  if (r == 0) r = 0;  // no "-0"
  char buf[32];
  if (r == std::round(r)) {
    std::snprintf(buf, sizeof(buf), "%.0f", r);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f", r);
  }
  return buf;
}

std::string Label(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (v == 0) return "0";
  char buf[32];
  double a = std::fabs(v);
  if (a >= 1e-4 && a < 1e6) {
    std::snprintf(buf, sizeof(buf), "%.4g", v);
    // %.4g switches to an exponent at 1e4 and above: print those whole.
    if (a >= 1e4) std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.3g", v);
  }
  return buf;
}

const char* SeriesColor(size_t i) {
  static const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                  "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kColors[i % 10];
}

double TextWidth(std::string_view text) { return 6.6 * static_cast<double>(text.size()); }

}  // namespace cacheopt::experiment
