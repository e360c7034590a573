// Reading policy knobs given as strings (`--set KEY=VALUE`), with errors that
// name the knob and list the valid ones.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

// Fails if `knobs` has a key outside `valid`, naming the policy and listing them.
Status CheckKnobNames(const std::map<std::string, std::string>& knobs,
                     const std::vector<std::string>& valid, const std::string& policy);
// The knob's value, or `fallback` when absent. Malformed -> InvalidArgument.
Result<long long> KnobInt(const std::map<std::string, std::string>& knobs, const std::string& key,
                          long long fallback);
Result<double> KnobDouble(const std::map<std::string, std::string>& knobs, const std::string& key,
                          double fallback);

}  // namespace cacheopt
