// results.json: the config, every setup (pool, trace, KV pressure), every
// capacity (both definitions: the seed-mean capacity, each seed's, their
// range, the probes) and every run with all its metrics.
#pragma once

#include "experiment/json_fields.h"
#include "experiment/results.h"

namespace cacheopt::experiment {

Json ResultsJson(const ExperimentResults& r);

}  // namespace cacheopt::experiment
