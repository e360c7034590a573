// One JSON line per engine step, so a reader can check a policy's decisions
// against the system it imitates: time, duration, every scheduled request
// with its tokens and phase, every preemption with its kind, free blocks.
// The real engine writes the same kind of line (serve/generate --steps-log)
// with what the cost model predicts from and where the wall time went.
#pragma once

#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/scheduler_output.h"
#include "cacheopt/status.h"
#include "runtime/step_record.h"

namespace cacheopt {

void WriteStepLine(std::ostream& os, const SchedulerOutput& step, double duration_s,
                   int32_t device_free, int32_t host_free);

// A real step: {"step","t","dur","seqs":[{"id","tokens","ctx","phase"}],
// "swap_out","swap_in","swap_out_ahead","copy","prepare","forward","sample",
// "schedule","loop","pred"}; seconds throughout (docs/real-engine.md).
void WriteRealStepLine(std::ostream& os, const StepRecord& r);
// Parses one such line; errors name `where` (FILE:LINE) and the field.
Result<StepRecord> ParseRealStepLine(std::string_view line, const std::string& where);
// Every line of a real steps log (blank lines skipped).
Result<std::vector<StepRecord>> ReadRealStepsLog(const std::string& path);

}  // namespace cacheopt
