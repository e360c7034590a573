// The one error every registry gives for a name it does not know: it names
// the kind of thing, the bad name and every valid one.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

inline std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

// e.g. "unknown gpu 'tpu'; valid: a100-40g, a100-80g, h100-80g"
inline Status UnknownName(std::string_view kind, std::string_view name, const std::vector<std::string>& valid) {
  return Status::InvalidArgument("unknown " + std::string(kind) + " '" + std::string(name) +
                                 "'; valid: " + JoinNames(valid));
}

}  // namespace cacheopt
