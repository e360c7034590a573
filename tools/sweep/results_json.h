// results.json: the config, every setup (pool, trace, KV pressure), every
// capacity (both definitions: the seed-mean capacity, each seed's, their
// range, the probes) and every run with all its metrics.
#pragma once

#include "sweep/json_fields.h"
#include "sweep/results.h"

namespace cacheopt::experiment {

Json ResultsJson(const ExperimentResults& r);

}  // namespace cacheopt::experiment
