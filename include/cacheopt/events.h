// What an engine session emits: the tokens each step sampled, and each
// request's end with its reason and SLO verdict; and what one step did.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "cacheopt/request.h"
#include "cacheopt/scheduler_output.h"

namespace cacheopt {

// Whether one request met its SLO targets (JudgeSlo, core/metrics/slo.h):
// TTFT; TBT, its p95 gap; stall-aware TBT, that and no gap over the limit.
struct SloVerdict {
  bool ttft_met = false;
  bool tbt_met = false;
  bool stall_met = false;
  bool Good() const { return ttft_met && stall_met; }  // counts toward SLO goodput
};
enum class FinishReason : int8_t {
  kStop,      // the model ended it (EOS or a stop token)
  kLength,    // max_tokens or the model's context
  kAbort,     // its client cancelled it
  kRejected,  // it can never fit the device KV tier
};
// "stop", "length", "abort", "rejected" (OpenAI's finish_reason words where
// they exist).
std::string_view ToString(FinishReason r);

struct TokenEvent {
  int64_t request_id = 0;
  int32_t token = -1;  // the executor's sampled token (-1 from executors that sample none)
  bool eos = false;    // the model ended the sequence with it
};

struct FinishEvent {
  std::unique_ptr<Request> record;  // its whole timeline and preemption record
  FinishReason reason = FinishReason::kLength;
  SloVerdict slo;
};

// What one step did. `plan` and `result` are valid until the next step.
struct StepReport {
  int64_t index = 0;  // the session's steps so far, this one excluded
  bool ran = false;   // something executed, so time passed
  double start_s = 0, end_s = 0;
  const SchedulerOutput* plan = nullptr;
  const ExecutorOutput* result = nullptr;
  // A step that ran nothing but preempted or rejected still changed the state.
  bool Changed() const { return ran || !plan->rejected.empty() || !plan->preempted.empty(); }
};

// What one step of Run() emitted.
struct StepEvents {
  std::vector<TokenEvent> tokens;  // only with RunOptions::tokens
  std::vector<FinishEvent> finished;
};

}  // namespace cacheopt
