// The policy flags every command that runs a policy shares (simulate,
// capacity, compare, serve, generate): --preemption-mode and --set KEY=VALUE.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "cacheopt/scheduler_config.h"

namespace cacheopt {

// Parses --preemption-mode (recompute, the default, leaves `mode` as it is;
// swap sets it) and each --set KEY=VALUE into `knobs` (later keys win); an
// error names the bad flag value.
Status ApplyPolicyFlags(const std::string& preemption_mode, const std::vector<std::string>& set, PreemptMode* mode,
                        std::map<std::string, std::string>* knobs);

}  // namespace cacheopt
