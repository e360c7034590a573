// The report's section on simulated clusters (docs/cluster-sim.md): each
// cluster setup's capacity against one replica's on the same setup, and
// the prefix hits each router got and predicted. Empty when no setup sets a
// router, so other experiments' reports are unchanged.
#pragma once

#include <string>

#include "sweep/results.h"

namespace cacheopt::experiment {

std::string ClusterSection(const ExperimentResults& r);

}  // namespace cacheopt::experiment
