#include "policy_flags.h"

namespace cacheopt {

Status ApplyPolicyFlags(const std::string& preemption_mode, const std::vector<std::string>& set, PreemptMode* mode,
                        std::map<std::string, std::string>* knobs) {
  if (preemption_mode == "swap") {
    *mode = PreemptMode::kSwap;
  } else if (preemption_mode != "recompute") {
    return Status::InvalidArgument("unknown --preemption-mode '" + preemption_mode + "'; valid: recompute, swap");
  }
  for (const std::string& kv : set) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) return Status::InvalidArgument("--set expects KEY=VALUE, got '" + kv + "'");
    (*knobs)[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return Status::Ok();
}

}  // namespace cacheopt
