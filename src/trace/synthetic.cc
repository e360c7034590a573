#include "trace/synthetic.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "trace/lognormal_length.h"

namespace cacheopt {

Trace SyntheticTrace(uint64_t seed, int64_t rows) {
  Trace trace;
  trace.source = "synthetic(seed=" + std::to_string(seed) + ",rows=" + std::to_string(rows) + ")";
  trace.format = "synthetic";
  trace.has_timestamps = true;
  if (rows <= 0) return trace;
  Rng arrivals = Rng::Stream(seed, streams::kSyntheticArrivals);
  Rng lengths = Rng::Stream(seed, streams::kSyntheticLengths);
  const double shape = 1 / (kSyntheticArrivalCv * kSyntheticArrivalCv);
  const double scale = 1 / (kSyntheticRateRps * shape);
  const LogNormalShape prompt = FromMedianMean(kSyntheticPromptMedian, kSyntheticPromptMean);
  const LogNormalShape output = FromMedianMean(kSyntheticOutputMedian, kSyntheticOutputMean);
  trace.rows.reserve(static_cast<size_t>(rows));
  double now = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (i > 0) now += Gamma(arrivals, shape, scale);
    TraceRow row;
    row.arrival_s = now;
    row.prompt_tokens = DrawLength(lengths, prompt);
    row.output_tokens = DrawLength(lengths, output);
    row.line = i + 1;
    trace.rows.push_back(row);
  }
  return trace;
}

}  // namespace cacheopt
