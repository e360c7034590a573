#include "cacheopt/util/names.h"
#include "core/sched/knobs.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace cacheopt {

Status CheckKnobNames(const std::map<std::string, std::string>& knobs,
                      const std::vector<std::string>& valid, const std::string& policy) {
  for (const auto& [k, v] : knobs) {
    if (std::find(valid.begin(), valid.end(), k) != valid.end()) continue;
    return UnknownName("knob for policy " + policy, k, valid);
  }
  return Status::Ok();
}

Result<long long> KnobInt(const std::map<std::string, std::string>& knobs, const std::string& key,
                          long long fallback) {
  auto it = knobs.find(key);
  if (it == knobs.end()) return fallback;
  const char* s = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0')
    return Status::InvalidArgument("knob " + key + "='" + it->second + "' is not an integer");
  return v;
}

Result<double> KnobDouble(const std::map<std::string, std::string>& knobs, const std::string& key,
                          double fallback) {
  auto it = knobs.find(key);
  if (it == knobs.end()) return fallback;
  const char* s = it->second.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s, &end);
  if (errno != 0 || end == s || *end != '\0')
    return Status::InvalidArgument("knob " + key + "='" + it->second + "' is not a number");
  return v;
}

}  // namespace cacheopt
