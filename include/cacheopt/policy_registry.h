// Policies by name. Each policy documents its defaults (docs/baselines.md
// cites the upstream source of every one) and validates its own knobs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/scheduler_config.h"
#include "cacheopt/scheduler_state.h"
#include "cacheopt/status.h"

namespace cacheopt {

class CostModel;

// Every registered policy name, in display order.
std::vector<std::string> PolicyNames();

// Knobs a server sets for this policy unless the user set them (none for an
// unknown name): cacheopt and s3 learn output lengths from prompt text.
std::map<std::string, std::string> ServingKnobDefaults(std::string_view name);

// Whether the policy reads cost-model predictions (today only cacheopt's SLO
// batching, reservations and preemption choice do); true for unknown names.
bool PolicyReadsCostModel(std::string_view name);

// Builds a policy. Unknown name or knob -> InvalidArgument listing the valid ones.
Result<SchedulerPtr> MakeScheduler(std::string_view name, const SchedulerConfig& config, const CostModel* cost);

}  // namespace cacheopt
