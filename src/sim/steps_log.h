// One JSON line per engine step, so a reader can check a policy's decisions
// against the system it imitates: time, duration, every scheduled request
// with its tokens and phase, every preemption with its kind, free blocks.
#pragma once

#include <ostream>

#include "cacheopt/scheduler_output.h"

namespace cacheopt {

void WriteStepLine(std::ostream& os, const SchedulerOutput& step, double duration_s,
                   int32_t device_free, int32_t host_free);

}  // namespace cacheopt
