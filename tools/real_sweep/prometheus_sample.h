// Reads the samples of a Prometheus text-format page (the server's /metrics)
// to take counters before and after a run: preemptions, swaps, recomputes.
#pragma once

#include <map>
#include <string>

#include "cacheopt/status.h"

namespace cacheopt::realexp {

// Series -> value, the series as written ("name" or "name{label=\"v\",...}").
// Comments and blank lines are skipped; a malformed sample line is an error
// naming its line.
Result<std::map<std::string, double>> ParsePrometheusText(const std::string& text);

// The sum over every series of metric `name` (all label sets); 0 when absent.
// With `label` (e.g. `kind="swap"`): only the series carrying that label.
double SumMetric(const std::map<std::string, double>& samples, const std::string& name,
                 const std::string& label = "");

}  // namespace cacheopt::realexp
