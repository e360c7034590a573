#include "experiment/svg_axis.h"

#include <algorithm>
#include <cmath>

namespace cacheopt::experiment {

double Axis::Frac(double v) const {
  if (log) {
    if (v <= 0) return 0;
    return (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  }
  return (v - lo) / (hi - lo);
}

Axis LinearAxis(double min, double max, int target_ticks) {
  if (!std::isfinite(min) || !std::isfinite(max)) min = 0, max = 1;
  if (min > max) std::swap(min, max);
  if (min == max) {
    double pad = min == 0 ? 1 : std::fabs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  target_ticks = std::max(2, target_ticks);
  double raw = (max - min) / target_ticks;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double norm = raw / mag;
  double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
  Axis a;
  a.lo = std::floor(min / step + 1e-9) * step;
  a.hi = std::ceil(max / step - 1e-9) * step;
  if (a.hi <= a.lo) a.hi = a.lo + step;
  int n = static_cast<int>(std::lround((a.hi - a.lo) / step));
  for (int i = 0; i <= n; ++i) {
    double t = a.lo + i * step;
    if (std::fabs(t) < step * 1e-9) t = 0;
    a.ticks.push_back(t);
  }
  return a;
}

Axis LogAxis(double min, double max) {
  if (!(max > 0) || !std::isfinite(max)) max = 1;
  if (!(min > 0) || !std::isfinite(min)) min = max / 1000;
  if (min > max) std::swap(min, max);
  Axis a;
  a.log = true;
  int d0 = static_cast<int>(std::floor(std::log10(min) + 1e-9));
  int d1 = static_cast<int>(std::ceil(std::log10(max) - 1e-9));
  if (d1 <= d0) d1 = d0 + 1;
  a.lo = std::pow(10, d0);
  a.hi = std::pow(10, d1);
  bool fine = d1 - d0 <= 2;
  for (int d = d0; d <= d1; ++d) {
    double base = std::pow(10, d);
    a.ticks.push_back(base);
    if (fine && d < d1) {
      a.ticks.push_back(2 * base);
      a.ticks.push_back(5 * base);
    }
  }
  return a;
}

Axis CategoryAxis(size_t n) {
  Axis a;
  a.lo = -0.5;
  a.hi = static_cast<double>(std::max<size_t>(n, 1)) - 0.5;
  for (size_t i = 0; i < n; ++i) a.ticks.push_back(static_cast<double>(i));
  return a;
}

}  // namespace cacheopt::experiment
