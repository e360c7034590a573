#include "calibration/profile_match.h"

#include <algorithm>
#include <fstream>

namespace cacheopt {

std::string ThisMachineName() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(std::min(line.size(), colon + 2));
    }
  }
  return "unknown";
}

Status CheckProfileMatches(const CpuCostProfile& p, const std::string& path, const ProfileIdentity& want) {
  auto differs = [&](const std::string& field, const std::string& has, const std::string& here) {
    return Status::InvalidArgument(path + ": field '" + field + "' is \"" + has + "\" but this run's is \"" + here +
                                   "\": the profile was measured elsewhere (profile again into a new file)");
  };
  if (p.machine != want.machine) return differs("measured_on.machine", p.machine, want.machine);
  if (p.threads != want.threads)
    return differs("measured_on.threads", std::to_string(p.threads), std::to_string(want.threads));
  if (p.model_name != want.model_name) return differs("model.name", p.model_name, want.model_name);
  return Status::Ok();
}

}  // namespace cacheopt
