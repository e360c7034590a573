#include "core/sched/policies/cacheopt.h"

#include <algorithm>
#include <cassert>

#include "cacheopt/cost/cost_model.h"
#include "core/preempt/swap_or_recompute.h"

namespace cacheopt {

Result<SchedulerPtr> MakeCacheOpt(const SchedulerConfig& config, const CostModel* cost) {
  auto opts = ParseCacheOptOptions(config.knobs);
  if (!opts.ok()) return opts.status();
  if (cost == nullptr) return Status::InvalidArgument("cacheopt needs a cost model");
  EstimatorOptions eo = opts->estimator;
  eo.truth = config.truth;
  auto est = MakeEstimator(eo);
  if (!est.ok()) return est.status();
  return SchedulerPtr(
      new CacheOptScheduler(config, cost, std::move(*opts), std::move(*est)));
}

CacheOptScheduler::CacheOptScheduler(const SchedulerConfig& config, const CostModel* cost,
                                     CacheOptOptions opts, std::unique_ptr<OutputLengthEstimator> estimator)
    : Scheduler(config, cost),
      opts_(std::move(opts)),
      reservations_(opts_, config_, cost_, &blocks_, &running_, &swapped_, std::move(estimator)),
      batching_(opts_, cost_, config.token_budget > 0 ? config.token_budget : opts_.fallback_token_budget, &running_,
                &waiting_) {
  if (opts_.strategy_on) {
    kind_ = std::make_unique<CheaperKind>(cost_, &blocks_);
  } else {
    kind_ = std::make_unique<FixedKind>(PreemptKind::kRecompute);
  }
  if (opts_.victim_on) {
    victim_order_ = std::make_unique<SloVictimOrder>(opts_.max_preemptions);
  } else {
    victim_order_ = std::make_unique<NewestAdmittedFirst>();
  }
  if (config.max_num_seqs > 0) opts_.max_num_seqs = config.max_num_seqs;
  // A request group's choices answer one client together: admitting part of
  // it, or preempting one member, delays the whole answer as much as all of
  // it would (docs/baselines.md).
  group_requests_ = true;
}

int32_t CacheOptScheduler::TryAdmit(Request* r, double now, int32_t budget, SchedulerOutput* out) {
  const PrefixHit hit = CachedPrefix(r);  // none unless prefix caching is on
  const int32_t cached = CachedTokens(hit);
  const int32_t chunk = std::min(r->TokensToCompute() - cached, budget);
  const CacheOptReservations::Admission a = reservations_.Decide(r, now, hit);
  if (!a.ok) return 0;
  // Physical blocks for the first chunk must exist now.
  if (!GrowFromPrefix(r, cached + chunk, hit)) return 0;
  reservations_.Book(r, a);
  MarkRunning(r);
  AddSeq(out, r, chunk);
  return chunk;
}

int32_t CacheOptScheduler::TryAdmitGroup(Request* head, double now, int32_t budget, SchedulerOutput* out) {
  const std::vector<Request*> members = GroupMembers(head, RequestState::kWaiting);
  if (running_.size() + members.size() > static_cast<size_t>(opts_.max_num_seqs)) return 0;
  // Each member's first chunk and admission, planned before anyone enters.
  // Each plan counts its cached prefix's unheld blocks as its own, so the
  // sums over-count what members sharing a prefix take: conservative. The
  // budget goes to the members in order; one it does not reach enters
  // running all the same and gets its chunks in the next steps, as an
  // ongoing prefill (its reservation is what admission weighs).
  // Members the device's free blocks do not reach take none now either.
  // A group whose reservations together exceed the admissible pool shares
  // it (a request alone may always reserve the whole pool; so may a group).
  struct Plan {
    CacheOptReservations::Admission a;
    PrefixHit hit;
    int32_t chunk = 0;
  };
  std::vector<Plan> plans;
  int64_t fresh = 0, reserved = 0, free = blocks_.device_free();
  int32_t left = budget;
  for (Request* m : members) {
    Plan p;
    p.hit = CachedPrefix(m);
    const int32_t cached = CachedTokens(p.hit);
    p.chunk = std::max(0, std::min(m->TokensToCompute() - cached, left));
    if (BlocksToGrow(m, cached + p.chunk, p.hit) > free) {
      if (m == members.front()) return 0;
      p.chunk = 0;
      if (BlocksToGrow(m, cached, p.hit) > free) p.hit = {};
    }
    free -= BlocksToGrow(m, cached + p.chunk, p.hit);
    left -= p.chunk;
    p.a = reservations_.Decide(m, now, p.hit);
    reserved += p.a.reservation;
    plans.push_back(p);
  }
  if (left == budget) return 0;
  const int64_t pool = reservations_.AdmissiblePool();
  if (reserved > pool) {
    const auto share = static_cast<int32_t>(std::max<int64_t>(1, pool / static_cast<int64_t>(members.size())));
    for (Plan& p : plans) p.a.reservation = std::min(p.a.reservation, share);
  }
  for (const Plan& p : plans) fresh += CacheOptReservations::FreshBlocks(p.a, p.hit);
  if (!reservations_.GroupFits(fresh)) return 0;
  RemoveMembers(&waiting_, members);
  for (size_t i = 0; i < members.size(); ++i) {
    Request* m = members[i];
    Plan& p = plans[i];
    // Anew: an earlier member may hold the cached blocks now (fewer to take).
    const PrefixHit hit = p.hit.blocks > 0 ? CachedPrefix(m) : PrefixHit{};
    const bool grown = GrowFromPrefix(m, CachedTokens(hit) + p.chunk, hit);
    assert(grown && "the group's plan over-counts its blocks");
    (void)grown;
    p.a.ok = true;
    p.a.host = nullptr;
    reservations_.Book(m, p.a);
    MarkRunning(m);
    if (p.chunk > 0) AddSeq(out, m, p.chunk);
  }
  return budget - left;
}

void CacheOptScheduler::PreemptRequest(Request* victim, bool ahead, SchedulerOutput* out, const Request* requester) {
  const bool own_group = requester != nullptr && requester != victim && GroupedHere(*requester) &&
                         requester->spec.group == victim->spec.group;
  if (!GroupedHere(*victim) || own_group) {
    PreemptOne(victim, ahead, out);
    return;
  }
  for (Request* m : GroupMembers(victim, RequestState::kRunning)) PreemptOne(m, ahead, out);
}

void CacheOptScheduler::PreemptOne(Request* victim, bool ahead, SchedulerOutput* out) {
  running_.erase(std::find(running_.begin(), running_.end(), victim));
  // A victim already scheduled this step does not run after all.
  Unschedule(out, victim);
  reservations_.DropLoans(victim);  // preempted hosts' guests become ordinary reservations
  size_t copies_before = out->swap_out.size();
  Preempt(victim, kind_->Kind(*victim), out);
  if (ahead) {
    // Issued ahead of need: the copy overlaps this step's compute.
    out->swap_out_ahead.insert(out->swap_out_ahead.end(), out->swap_out.begin() + copies_before,
                               out->swap_out.end());
    out->swap_out.resize(copies_before);
  }
}

bool CacheOptScheduler::FreeBlocks(int32_t need, Request* requester, bool ahead, SchedulerOutput* out,
                                   bool* self) {
  *self = false;
  cands_.clear();
  for (Request* r : running_) {
    if (r->InPrefill() && r != requester && r->num_computed == 0) continue;  // holds nothing yet
    VictimCandidate c;
    c.req = r;
    c.remaining_s = std::max(0.0, r->padded_output - r->num_output) * cost_->SoloDecodeTime(r->TotalTokens());
    int32_t held = r->kv_slot >= 0 ? static_cast<int32_t>(blocks_.table(r->kv_slot).device.size()) : 0;
    c.preempt_cost_s =
        EstimatePreemptionCost(*cost_, *r, held, blocks_.host_free(), blocks_.block_size(), CachedPrefixTokens(*r))
            .Min();
    cands_.push_back(c);
  }
  victim_order_->Order(&cands_);
  for (const VictimCandidate& c : cands_) {
    if (blocks_.device_free() >= need) break;
    if (c.req->state != RequestState::kRunning) continue;  // left with a group mate
    // Ahead of time, only a swap is worth starting: its copy overlaps compute.
    if (ahead && (c.req == requester || kind_->Kind(*c.req) != PreemptKind::kSwap)) continue;
    PreemptRequest(c.req, ahead, out, requester);
    if (requester->state != RequestState::kRunning) {
      *self = true;
      return false;
    }
  }
  return blocks_.device_free() >= need;
}

void CacheOptScheduler::ScheduleStep(double now, SchedulerOutput* out) {
  const int32_t lookahead = opts_.proactive_on ? opts_.preallocate_iterations : 0;
  prefills_.clear();

  // 1. Decodes, in admission order (a snapshot: preemptions edit running_).
  order_.assign(running_.begin(), running_.end());
  for (Request* r : order_) {
    if (r->state != RequestState::kRunning) continue;  // preempted meanwhile
    if (r->InPrefill()) {
      prefills_.push_back(r);
      continue;
    }
    reservations_.ExtendIfOverrun(r, now);
    int64_t need = static_cast<int64_t>(r->num_computed) + 1;
    if (blocks_.BlocksFor(need) > blocks_.device_total()) {  // outgrew the whole pool
      running_.erase(std::find(running_.begin(), running_.end(), r));
      Reject(r, out);
      continue;
    }
    // C3: take blocks `lookahead` steps early when they are there.
    if (!Grow(r, need + lookahead)) {
      bool self = false;
      if (BlocksToGrow(r, need) > blocks_.device_free() &&
          !FreeBlocks(BlocksToGrow(r, need), r, /*ahead=*/false, out, &self))
        continue;  // r itself left, or nobody could
      if (lookahead > 0 && BlocksToGrow(r, need + lookahead) > blocks_.device_free()) {
        // A shortage is coming: start a swap-out now so its copy overlaps compute.
        FreeBlocks(BlocksToGrow(r, need + lookahead), r, /*ahead=*/true, out, &self);
      }
      if (!Grow(r, need + lookahead)) Grow(r, need);
    }
    AddSeq(out, r, 1);
  }
  work_.clear();
  for (const ScheduledSeq& q : out->seqs) work_.push_back({q.num_tokens, q.context_before});
  prefills_.erase(std::remove_if(prefills_.begin(), prefills_.end(),
                                 [](const Request* r) { return r->state != RequestState::kRunning; }),
                  prefills_.end());

  int32_t budget = batching_.PrefillBudget(now, work_, prefills_);
  // 2. Ongoing prefill chunks (blocks grow with each chunk).
  for (Request* r : prefills_) {
    // An earlier chunk's FreeBlocks may have preempted it meanwhile.
    if (r->state != RequestState::kRunning) continue;
    int32_t n = std::min(r->TokensToCompute(), budget);
    if (n <= 0) break;
    if (!Grow(r, static_cast<int64_t>(r->num_computed) + n)) {
      bool self = false;
      if (!FreeBlocks(BlocksToGrow(r, r->num_computed + n), r, false, out, &self) || self) continue;
      Grow(r, static_cast<int64_t>(r->num_computed) + n);
    }
    AddSeq(out, r, n);
    budget -= n;
  }
  // 3. Swapped requests resume before any new admission.
  while (!swapped_.empty()) {
    // A group's swapped members resume together.
    std::vector<Request*> members = GroupMembers(swapped_.front(), RequestState::kSwapped);
    auto blocks_needed = [&] {
      int64_t n = 0;
      for (const Request* m : members) n += static_cast<int64_t>(blocks_.table(m->kv_slot).host.size()) + 1;
      return n;
    };
    int64_t need = blocks_needed();
    if (members.size() > 1 && need > blocks_.device_total()) {
      members = {swapped_.front()};  // could never resume whole: one by one
      need = blocks_needed();
    }
    if (need > blocks_.device_total()) {  // outgrew the whole pool: can never resume
      RemoveMembers(&swapped_, members);
      for (Request* m : members) Reject(m, out);
      continue;
    }
    if (need > blocks_.device_free()) break;
    ResumeSwappedGroup(members, out);
  }
  if (!swapped_.empty()) return;
  // 4. New admissions, most urgent first.
  batching_.SortWaiting(now);
  while (!waiting_.empty() && budget > 0 && static_cast<int32_t>(running_.size()) < opts_.max_num_seqs) {
    Request* r = waiting_.front();
    if (NeverFits(static_cast<int64_t>(r->TotalTokens()) + 1)) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    // A group of more members than may ever run at once enters one by one.
    if (GroupedHere(*r) &&
        GroupMembers(r, RequestState::kWaiting).size() <= static_cast<size_t>(opts_.max_num_seqs)) {
      const int32_t chunks = TryAdmitGroup(r, now, budget, out);
      if (chunks > 0) {
        budget -= chunks;
        continue;
      }
      // An engine with nothing running that cannot take the group whole
      // never will (the soak found one stuck so on a 2-block pool): its
      // members enter one by one, as vLLM V0's do.
      if (!running_.empty()) break;
    }
    const int32_t chunk = TryAdmit(r, now, budget, out);
    if (chunk == 0) break;
    waiting_.pop_front();
    budget -= chunk;
  }
}

}  // namespace cacheopt
