// CacheOPT's batch formation part (SLO-aware batching, docs/scheduling.md):
// how many prefill tokens join a step beside its decodes, so that the
// predicted step stays within the tightest TBT SLO among them (with a floor
// that keeps prefills moving and gives an about-to-miss head its chunk, paid
// for only by requests that can afford one more late gap), and the order of
// the waiting queue (TTFT slack; preempted requests first, lost causes last).
// Switched off (`disable=slo_batching`): a Sarathi-style fixed token budget
// and first come, first served.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/request.h"
#include "core/sched/cacheopt/options.h"

namespace cacheopt {

class SloBatching final {
 public:
  // `running` and `waiting` are the policy's queues, read as they change.
  SloBatching(const CacheOptOptions& opts, const CostModel* cost, int32_t token_budget,
              const std::vector<Request*>* running, std::deque<Request*>* waiting)
      : opts_(opts), cost_(cost), token_budget_(token_budget), running_(running), waiting_(waiting) {}

  // Prefill tokens allowed this step beside `decodes`, with `prefills` the
  // ongoing prefills that get the budget first.
  int32_t PrefillBudget(double now, std::span<const SeqWork> decodes, std::span<Request* const> prefills) const;
  // Orders the waiting queue for admission.
  void SortWaiting(double now);

 private:
  // The largest prefill chunk beside `decodes` whose predicted step stays
  // within `step_s` (the configured budget when unbounded); the chunk
  // attends to `context` tokens already computed.
  int32_t ChunkWithin(double step_s, std::span<const SeqWork> decodes, int32_t context) const;
  // gap_guard: `r` can take one more gap over its TBT SLO and keep its p95.
  static bool CanTakeLateGap(const Request* r);

  const CacheOptOptions& opts_;
  const CostModel* cost_;
  int32_t token_budget_;
  const std::vector<Request*>* running_;
  std::deque<Request*>* waiting_;
};

}  // namespace cacheopt
