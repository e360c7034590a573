// Whether a saved CPU cost profile describes this run: the same machine, the
// same engine threads and the same model. A profile of another machine or
// model would give loads, device tier and SLO targets that mean nothing
// here, so reusing one (real-experiment --profile) is refused with the file
// and the field that differ.
#pragma once

#include <cstdint>
#include <string>

#include "calibration/cpu_cost_profile.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct ProfileIdentity {
  std::string machine;     // ThisMachineName()
  int32_t threads = 0;     // engine threads
  std::string model_name;  // the model file's stem, as `cacheopt profile` records it
};

// This machine's CPU model name, as /proc/cpuinfo gives it ("unknown" without).
std::string ThisMachineName();

// Ok when `p` (read from `path`) matches `want`; else InvalidArgument naming
// `path`, the profile's field and both values.
Status CheckProfileMatches(const CpuCostProfile& p, const std::string& path, const ProfileIdentity& want);

}  // namespace cacheopt
