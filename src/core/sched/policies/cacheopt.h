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
#include "core/estimate/padding.h"
#include "core/preempt/victim_order.h"
#include "core/sched/cacheopt/options.h"
#include "core/sched/cacheopt/peak_projection.h"
#include "core/sched/parts/preemption.h"
#include "core/sched/scheduler.h"

namespace cacheopt {

class CacheOptScheduler : public Scheduler {
 public:
  CacheOptScheduler(const SchedulerConfig& config, const CostModel* cost, CacheOptOptions opts,
                    std::unique_ptr<OutputLengthEstimator> estimator);
  std::string_view name() const override { return "cacheopt"; }
  const CacheOptOptions& options() const { return opts_; }
  int32_t reserve_blocks() const { return reserve_blocks_; }
  // Pairwise loans outstanding plus reservations promised beyond the
  // admissible pool (peak lending, urgent admission).
  int64_t LentBlocks() const override;
  // Device blocks in use beyond the admissible pool, at most the reserve.
  int64_t ReserveBlocksInUse() const override;

  // Exposed for tests: the admission rule for `r` now (no side effects).
  bool WouldAdmit(const Request* r, double now) const;

 protected:
  void ScheduleStep(double now, SchedulerOutput* out) override;
  void OnEnded(Request* r) override;
  void OnArrival(Request* r, double now) override;

 private:
  friend struct CacheOptTestPeer;  // tests force a preemption of a chosen request

  // C1: the padded output length (tokens) for `r` given its tokens so far.
  double PaddedOutput(const Request* r, double now) const;
  int32_t ReservationFor(const Request* r, double padded) const;
  int32_t Held(const Request* r) const;
  // C2: blocks promised to requests holding or owed KV (running and swapped).
  int64_t Committed() const;
  int64_t Admissible() const;  // pool minus global reserve
  Request* FindHost(int32_t reservation, double padded) const;
  bool PeakFits(const Request* extra, double extra_padded) const;
  // Admits `r` if the rule allows: ordinary, as a guest, or by peak projection.
  bool TryAdmit(Request* r, double now, int32_t chunk, SchedulerOutput* out);
  void DropLoans(Request* r);
  // Would miss its TTFT SLO unless admitted now, yet still can make it.
  bool Urgent(const Request* r, double now) const;
  int32_t Watermark() const;  // blocks urgent admission leaves free (1%)  // r leaves running: return or convert its loans
  // C3: keeps `r`'s reservation ahead of its growth (under-prediction).
  void ExtendIfOverrun(Request* r, double now);
  // C4 + C5: frees `need` device blocks by preempting; false if impossible.
  // `requester` may itself be chosen; `*self` says so.
  bool FreeBlocks(int32_t need, Request* requester, bool ahead, SchedulerOutput* out, bool* self);
  void PreemptRequest(Request* victim, bool ahead, SchedulerOutput* out);
  PreemptKind ChooseKind(const Request* r) const;
  // SLO-aware batching: prefill tokens allowed this step beside `decodes`.
  int32_t PrefillBudget(double now) const;
  // The largest prefill chunk beside this step's decodes whose predicted step
  // stays within `step_s` (the configured budget when unbounded).
  int32_t ChunkWithin(double step_s) const;
  // gap_guard: `r` can take one more gap over its TBT SLO and keep its p95.
  bool CanTakeLateGap(const Request* r) const;
  void SortWaiting(double now);

  CacheOptOptions opts_;
  std::unique_ptr<PreemptKindRule> kind_;          // C5 (or recompute, switched off)
  std::unique_ptr<VictimOrderRule> victim_order_;  // C4 (or newest first, switched off)
  std::unique_ptr<OutputLengthEstimator> est_;
  ArrivalRateMeter rate_;
  int32_t reserve_blocks_ = 0;
  int32_t token_budget_ = 0;
  std::vector<VictimCandidate> cands_;  // scratch
  std::vector<SeqWork> work_;           // scratch: this step's decodes
  std::vector<Request*> prefills_;      // scratch
  std::vector<Request*> order_;         // scratch: running at step start
  mutable std::vector<ProjectedLife> peak_lives_;  // scratch of PeakFits
  mutable PeakProjection peak_;
};

// Builds the policy from a SchedulerConfig's knobs (registry entry).
Result<SchedulerPtr> MakeCacheOpt(const SchedulerConfig& config, const CostModel* cost);

}  // namespace cacheopt
