#include "core/engine/engine.h"

#include <string>

namespace cacheopt {

Status Engine::Step(double now, bool* ran, double* end_s) {
  const SchedulerOutput& out = scheduler_->Schedule(now);
  last_ = &out;
  result_.results.clear();
  if (out.empty()) {
    // Nothing runs (rejections may still have happened); close the step.
    result_.duration_s = 0;
    scheduler_->Update(result_, now);
    *ran = false;
    *end_s = now;
  } else {
    executor_->Execute(out, &result_);
    *end_s = now + result_.duration_s;
    scheduler_->Update(result_, *end_s);
    *ran = true;
  }
  if (opts_.check_invariants) {
    Status s = scheduler_->CheckInvariants();
    if (!s.ok())
      return Status::OutOfRange("invariant broken after step " + std::to_string(out.step) + " (" +
                                std::string(scheduler_->name()) + "): " + s.message());
  }
  return Status::Ok();
}

}  // namespace cacheopt
