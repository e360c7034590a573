// CacheOPT's capacity part (CACHEOPT.md C1-C3): every admitted request holds
// a reservation of its prompt plus a confidence-padded estimate of its output
// (C1, the padding adjusted by the arrival rate); a request enters when the
// reservations fit the pool less the global reserve, or as a guest in another
// request's unused reservation (pairwise lending) or when the projected peak
// of everyone's demand fits (peak lending) (C2); the reserve is left to
// extensions, and a request that outgrows its padding gets a fresh estimate
// (C3). It decides and books; the policy moves requests between queues.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/request.h"
#include "cacheopt/scheduler_config.h"
#include "core/estimate/estimator.h"
#include "core/estimate/padding.h"
#include "core/kv/block_manager.h"
#include "core/sched/cacheopt/options.h"
#include "core/sched/cacheopt/peak_projection.h"

namespace cacheopt {

class CacheOptReservations final {
 public:
  // `running` and `swapped` are the policy's queues, read as they change.
  CacheOptReservations(const CacheOptOptions& opts, const SchedulerConfig& config, const CostModel* cost,
                       const BlockManager* blocks, const std::vector<Request*>* running,
                       const std::deque<Request*>* swapped, std::unique_ptr<OutputLengthEstimator> estimator);

  // A decision to admit: the request's padded output and reservation, and
  // the host lending it room (pairwise lending), if any.
  struct Admission {
    bool ok = false;
    double padded = 0;
    int32_t reservation = 0;
    Request* host = nullptr;
  };
  // Whether `r` may enter now: on its reservation, lending, or (about to
  // miss its TTFT SLO, `urgent_overcommit`) on physical room alone. With the
  // prefix cache, `hit` is the cached prefix it would attach: only the blocks
  // it newly needs count (the cached ones nobody holds among them).
  Admission Decide(const Request* r, double now, const PrefixHit& hit = {}) const;
  // The admission rule without the urgent overcommit (no side effects).
  bool WouldAdmit(const Request* r, double now) const;
  // Books an admission for `r` (it is entering running).
  void Book(Request* r, const Admission& a);
  // A request group enters on the plain reservation rule: the blocks its
  // members newly take, `fresh` in all, fit the admissible pool beside what
  // is committed (no lending or urgent overcommit: those weigh one request).
  bool GroupFits(int64_t fresh) const { return Committed() + fresh <= Admissible(); }
  // The device pool less the global reserve (C3).
  int64_t AdmissiblePool() const { return Admissible(); }
  // The blocks `r` newly takes with reservation `a` and cached prefix `hit`.
  static int32_t FreshBlocks(const Admission& a, const PrefixHit& hit) {
    return std::max(0, a.reservation - hit.blocks) + hit.evictable;
  }
  // C3: keeps `r`'s reservation ahead of its growth (under-prediction).
  // Inline test: it runs for every decode of every step.
  void ExtendIfOverrun(Request* r, double now) {
    if (!(r->num_output + 1 + lookahead_ <= r->padded_output)) Extend(r, now);
  }
  // `r` leaves running: a guest's loan returns to its host; a host's guests
  // keep their room as ordinary reservations.
  void DropLoans(Request* r);

  void OnArrival(double now) { rate_.OnArrival(now); }
  void OnEnded(Request* r);

  int32_t reserve_blocks() const { return reserve_blocks_; }
  // Pairwise loans outstanding plus reservations promised beyond the
  // admissible pool (peak lending, urgent admission).
  int64_t LentBlocks() const;
  // Device blocks in use beyond the admissible pool, at most the reserve.
  int64_t ReserveBlocksInUse() const;

 private:
  void Extend(Request* r, double now);
  // C1: the padded output length (tokens) for `r` given its tokens so far.
  double PaddedOutput(const Request* r, double now) const;
  int32_t ReservationFor(const Request* r, double padded) const;
  int32_t Held(const Request* r) const;
  // Blocks promised to requests holding or owed KV (running and swapped):
  // the blocks held now, shared ones once, plus each request's growth still
  // to come.
  int64_t Committed() const;
  int64_t Admissible() const;  // pool minus global reserve
  Request* FindHost(int32_t reservation, double padded) const;
  bool PeakFits(const Request* extra, double extra_padded, const PrefixHit& hit) const;
  // Would miss its TTFT SLO unless admitted now, yet still can make it.
  bool Urgent(const Request* r, double now) const;
  int32_t Watermark() const;  // blocks urgent admission leaves free (1%)

  const CacheOptOptions& opts_;
  const SchedulerConfig& config_;
  const CostModel* cost_;
  const BlockManager* blocks_;
  const std::vector<Request*>* running_;
  const std::deque<Request*>* swapped_;
  std::unique_ptr<OutputLengthEstimator> est_;
  ArrivalRateMeter rate_;
  int32_t reserve_blocks_ = 0;
  int32_t lookahead_ = 0;  // C3: steps of growth allocated early
  mutable std::vector<ProjectedLife> peak_lives_;  // scratch of PeakFits
  mutable PeakProjection peak_;
};

}  // namespace cacheopt
