// A synthetic trace for runs without ../shared: shaped after the Azure 2023
// conversation trace (EVALUATION.md, "Workloads"), not a copy of it.
#pragma once

#include <cstdint>

#include "trace/trace.h"

namespace cacheopt {

// Shape of SyntheticTrace, documented in docs/trace-format.md.
inline constexpr double kSyntheticRateRps = 5.5;    // mean arrival rate
inline constexpr double kSyntheticArrivalCv = 1.1;  // Gamma inter-arrival CV
inline constexpr double kSyntheticPromptMedian = 1020;
inline constexpr double kSyntheticPromptMean = 1155;
inline constexpr double kSyntheticOutputMedian = 129;
inline constexpr double kSyntheticOutputMean = 211;

// `rows` requests (none if rows <= 0): Gamma inter-arrivals (mean 1/5.5 s,
// CV 1.1; the first row at 0) and log-normal prompt and output lengths with
// the medians and means above, rounded to the nearest integer and clipped to
// >= 1. Arrivals and lengths draw from separate streams of `seed`, so the
// lengths of a seed do not depend on the arrival process and vice versa.
// format "synthetic", source "synthetic(seed=S,rows=N)", has_timestamps.
Trace SyntheticTrace(uint64_t seed, int64_t rows);

}  // namespace cacheopt
