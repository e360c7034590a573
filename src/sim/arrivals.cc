#include "sim/arrivals.h"

#include <cassert>
#include <string>

#include "cacheopt/random/distributions.h"

namespace cacheopt {
namespace {

// Cumulative sums of `draw_gap()` after a first arrival at 0.
template <typename DrawGap>
std::vector<double> Accumulate(int64_t n, DrawGap draw_gap) {
  std::vector<double> out;
  if (n <= 0) return out;
  out.reserve(static_cast<size_t>(n));
  double now = 0;
  out.push_back(now);
  for (int64_t i = 1; i < n; ++i) {
    now += draw_gap();
    out.push_back(now);
  }
  return out;
}

}  // namespace

Result<ArrivalKind> ParseArrivalKind(std::string_view name) {
  if (name == "replay") return ArrivalKind::kReplay;
  if (name == "poisson") return ArrivalKind::kPoisson;
  if (name == "gamma") return ArrivalKind::kGamma;
  return Status::InvalidArgument("unknown arrival process '" + std::string(name) +
                                 "'; valid: replay, poisson, gamma");
}

std::string_view ArrivalKindName(ArrivalKind kind) {
  switch (kind) {
    case ArrivalKind::kReplay:
      return "replay";
    case ArrivalKind::kPoisson:
      return "poisson";
    case ArrivalKind::kGamma:
      return "gamma";
  }
  return "?";
}

Result<std::vector<double>> ReplayArrivals(std::span<const double> recorded, double rate_rps) {
  if (!(rate_rps > 0)) {
    return Status::InvalidArgument("replay needs a rate > 0, got " + std::to_string(rate_rps));
  }
  std::vector<double> out;
  if (recorded.empty()) return out;
  const double t0 = recorded.front();
  const double span = recorded.back() - t0;
  const size_t n = recorded.size();
  if (n > 1 && !(span > 0)) {
    return Status::InvalidArgument("cannot time-scale " + std::to_string(n) +
                                   " recorded arrivals that all fall at one instant");
  }
  const double scale = n > 1 ? static_cast<double>(n - 1) / (rate_rps * span) : 0;
  out.reserve(n);
  for (double t : recorded) {
    assert(t >= t0);
    out.push_back((t - t0) * scale);
  }
  return out;
}

std::vector<double> PoissonArrivals(Rng& rng, int64_t n, double rate_rps) {
  assert(rate_rps > 0);
  return Accumulate(n, [&] { return Exponential(rng, rate_rps); });
}

std::vector<double> GammaArrivals(Rng& rng, int64_t n, double rate_rps, double cv) {
  assert(rate_rps > 0 && cv > 0);
  const double shape = 1 / (cv * cv);
  const double scale = 1 / (rate_rps * shape);
  return Accumulate(n, [&] { return Gamma(rng, shape, scale); });
}

}  // namespace cacheopt
