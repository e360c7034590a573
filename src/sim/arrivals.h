// Arrival processes for a workload: replay of recorded timestamps (time-scaled
// to a target rate), Poisson, and Gamma (bursty). Every process starts at 0.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "cacheopt/random/rng.h"
#include "cacheopt/status.h"

namespace cacheopt {

enum class ArrivalKind { kReplay, kPoisson, kGamma };

// "replay" | "poisson" | "gamma"; anything else is an error naming them.
Result<ArrivalKind> ParseArrivalKind(std::string_view name);
std::string_view ArrivalKindName(ArrivalKind kind);

// The mean rate of n arrivals spanning [t_0, t_{n-1}] is (n - 1) / span: one
// gap per request after the first. All processes below use that definition.

// `recorded` (non-decreasing) shifted to start at 0 and multiplied by one
// constant so the mean rate is `rate_rps`: bursts keep their shape. One
// arrival -> {0}. Errors: rate <= 0, or several arrivals all at one instant.
Result<std::vector<double>> ReplayArrivals(std::span<const double> recorded, double rate_rps);

// n arrivals from 0 with independent exponential gaps of mean 1 / rate_rps.
std::vector<double> PoissonArrivals(Rng& rng, int64_t n, double rate_rps);

// n arrivals from 0 with independent Gamma gaps of mean 1 / rate_rps and
// coefficient of variation `cv` (shape 1 / cv^2, scale 1 / (rate * shape));
// cv = 1 has Poisson's moments, cv > 1 is burstier. vLLM's `--burstiness` is
// the shape, 1 / cv^2.
std::vector<double> GammaArrivals(Rng& rng, int64_t n, double rate_rps, double cv);

}  // namespace cacheopt
