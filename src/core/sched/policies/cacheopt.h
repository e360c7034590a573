// CacheOPT (Shen, Sen, Tanaka, arXiv 2503.13773) as CACHEOPT.md specifies it:
//   C1 confidence-padded output lengths, p adjusted by the arrival rate;
//   C2 admission on reservations, lending reserved-but-unused blocks
//      (pairwise or peak);
//   C3 physical blocks allocated a few steps early; a global reserve only
//      extensions may use;
//   C4 victims by TBT SLO class, remaining time, preemption cost;
//   C5 swap or recompute, whichever is faster;
//   and SLO-aware batching (TTFT-slack order, a budget that protects TBT).
// Every mechanism is a switch (knob `disable`); docs/scheduling.md.
#pragma once

#include <memory>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "core/estimate/estimator.h"
#include "core/preempt/victim_order.h"
#include "core/sched/cacheopt/options.h"
#include "core/sched/cacheopt/reservations.h"
#include "core/sched/cacheopt/slo_batching.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class CacheOptScheduler : public Scheduler {
 public:
  CacheOptScheduler(const SchedulerConfig& config, const CostModel* cost, CacheOptOptions opts,
                    std::unique_ptr<OutputLengthEstimator> estimator);

  std::string_view name() const override { return "cacheopt"; }
  const CacheOptOptions& options() const { return opts_; }
  int32_t reserve_blocks() const { return reservations_.reserve_blocks(); }
  int64_t LentBlocks() const override { return reservations_.LentBlocks(); }
  int64_t ReserveBlocksInUse() const override { return reservations_.ReserveBlocksInUse(); }
  // Exposed for tests: the admission rule for `r` now (no side effects).
  bool WouldAdmit(const Request* r, double now) const { return reservations_.WouldAdmit(r, now); }

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;
  void OnEnded(Request* r) override { reservations_.OnEnded(r); }
  void OnArrival(Request* /*r*/, double now) override { reservations_.OnArrival(now); }

 private:
  friend struct CacheOptTestPeer;  // tests force a preemption of a chosen request

  // Admits `r` if the capacity part allows, with blocks for its first chunk
  // (at most `budget` tokens after its cached prefix): the chunk, or 0.
  int32_t TryAdmit(Request* r, double now, int32_t budget, SchedulerOutput* out);
  // C4 + C5: frees `need` device blocks by preempting; false if impossible.
  // `requester` may itself be chosen; `*self` says so.
  bool FreeBlocks(int32_t need, Request* requester, bool ahead, SchedulerOutput* out, bool* self);
  // Admits the waiting members of `head`'s group together or none of them
  // (RequestSpec::group): the chunks they take this step, or 0.
  int32_t TryAdmitGroup(Request* head, double now, int32_t budget, SchedulerOutput* out);
  // Preempts `victim` and, when it belongs to a group, its running mates
  // (not when `requester`, who needs the room, is one of them: see
  // Scheduler::PreemptGroup).
  void PreemptRequest(Request* victim, bool ahead, SchedulerOutput* out, const Request* requester = nullptr);
  void PreemptOne(Request* victim, bool ahead, SchedulerOutput* out);

  // The parts: capacity (C1-C3), batch formation, and preemption (C4 victim
  // order, C5 swap or recompute; switched off, the baselines' parts stand in).
  CacheOptOptions opts_;
  CacheOptReservations reservations_;
  SloBatching batching_;
  std::unique_ptr<PreemptKindRule> kind_;
  std::unique_ptr<VictimOrderRule> victim_order_;

  std::vector<VictimCandidate> cands_;  // scratch
  std::vector<SeqWork> work_;           // scratch: this step's decodes
  std::vector<Request*> prefills_;      // scratch
  std::vector<Request*> order_;         // scratch: running at step start
};

// Builds the policy from a SchedulerConfig's knobs (registry entry).
Result<SchedulerPtr> MakeCacheOpt(const SchedulerConfig& config, const CostModel* cost);

}  // namespace cacheopt
