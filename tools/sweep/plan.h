// Expands a config into the capacity searches and simulation runs it needs,
// each once (a run several experiments share is planned once), in a fixed
// order: the reference policy's capacity per setup first (every rate is a
// multiple of it), then the other capacities, then runs by experiment, timed
// scale runs last.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "sweep/config.h"
#include "sweep/results.h"

namespace cacheopt::experiment {

struct CapacityPlanItem {
  int setup = 0;
  Variant variant;
  std::vector<std::string> sections;
};

struct Plan {
  std::vector<CapacityPlanItem> capacities;  // [0, setups) are the references, by setup
  std::vector<RunSpec> runs;
  std::map<std::string, size_t> run_index;       // RunSpec::Key
  std::map<std::string, size_t> capacity_index;  // CapacityKey
};

Plan MakePlan(const ExperimentConfig& config);

}  // namespace cacheopt::experiment
