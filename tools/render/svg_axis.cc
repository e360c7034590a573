#include "render/svg_axis.h"

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

namespace {

// The k-th value of the 1-2-5 sequence: ..., 0.5, 1, 2, 5, 10, 20, ...
double Step125(int k) {
  static const double kMant[3] = {1, 2, 5};
  int d = k >= 0 ? k / 3 : -((-k + 2) / 3);
  return kMant[k - 3 * d] * std::pow(10, d);
}

// The index of the largest 1-2-5 value <= v (v > 0).
int Floor125(double v) {
  int k = 3 * static_cast<int>(std::floor(std::log10(v))) - 3;
  while (Step125(k + 1) <= v * (1 + 1e-9)) ++k;
  return k;
}

}  // namespace

Axis LogAxis(double min, double max) {
  if (!(max > 0) || !std::isfinite(max)) max = 1;
  if (!(min > 0) || !std::isfinite(min)) min = max / 1000;
  if (min > max) std::swap(min, max);
  Axis a;
  a.log = true;
  int k0 = Floor125(min);
  int k1 = Floor125(max);
  if (Step125(k1) < max * (1 - 1e-9)) ++k1;
  if (k1 <= k0) k1 = k0 + 1;
  a.lo = Step125(k0);
  a.hi = Step125(k1);
  bool fine = std::log10(a.hi / a.lo) <= 2 + 1e-9;
  for (int k = k0; k <= k1; ++k) {
    double v = Step125(k);
    bool decade = std::fabs(std::log10(v) - std::round(std::log10(v))) < 1e-9;
    if (fine || decade || k == k0 || k == k1) a.ticks.push_back(v);
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
