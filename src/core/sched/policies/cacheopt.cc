#include "core/sched/policies/cacheopt.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cacheopt/cost/cost_model.h"
#include "core/preempt/swap_or_recompute.h"
#include "core/sched/cacheopt/gap_allowance.h"

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
    : Scheduler(config, cost), opts_(std::move(opts)), est_(std::move(estimator)), rate_(opts_.rate_tau_s) {
  // C4 and C5 are parts; switched off, the baselines' parts stand in.
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
  token_budget_ = config.token_budget > 0 ? config.token_budget : opts_.fallback_token_budget;
  if (opts_.reserve_on) {
    reserve_blocks_ = opts_.reserve_blocks >= 0
                          ? opts_.reserve_blocks
                          : static_cast<int32_t>(std::ceil(0.02 * config.device_blocks));
    reserve_blocks_ = std::min(reserve_blocks_, config.device_blocks / 2);
  }
}

void CacheOptScheduler::OnArrival(Request* /*r*/, double now) { rate_.OnArrival(now); }

void CacheOptScheduler::OnEnded(Request* r) {
  if (r->state == RequestState::kFinished) est_->Observe(r->spec, r->num_output, r->predicted_output);
  DropLoans(r);
}

int32_t CacheOptScheduler::Held(const Request* r) const {
  if (r->kv_slot < 0) return 0;
  const BlockTable& t = blocks_.table(r->kv_slot);
  return static_cast<int32_t>(t.device.size() + t.host.size());
}

double CacheOptScheduler::PaddedOutput(const Request* r, double now) const {
  LengthEstimate e = est_->Estimate(r->spec, r->num_output);
  PaddingOptions padding = opts_.padding;
  if (!opts_.padding_on) padding.mode = PaddingMode::kNone;
  double p = Coverage(rate_.Rate(now), opts_.coverage);
  return PaddedLength(e, *est_, p, padding, r->num_output, r->spec.max_tokens);
}

int32_t CacheOptScheduler::ReservationFor(const Request* r, double padded) const {
  int64_t tokens = std::min<int64_t>(r->spec.prompt_tokens + static_cast<int64_t>(std::ceil(padded)),
                                     config_.max_model_len);
  // A request alone may always reserve the whole admissible pool.
  return static_cast<int32_t>(std::min<int64_t>(blocks_.BlocksFor(tokens), std::max<int64_t>(1, Admissible())));
}

int64_t CacheOptScheduler::Committed() const {
  int64_t c = 0;
  auto add = [&](const Request* r) {
    int32_t held = Held(r);
    // A guest's reservation lives inside its host's; only its overrun counts.
    c += r->lender != nullptr ? std::max(0, held - r->reserved_blocks) : std::max(held, r->reserved_blocks);
  };
  for (const Request* r : running_) add(r);
  for (const Request* r : swapped_) add(r);
  return c;
}

int64_t CacheOptScheduler::Admissible() const { return blocks_.device_total() - reserve_blocks_; }

int64_t CacheOptScheduler::LentBlocks() const {
  // Pairwise loans, plus reservations promised beyond the admissible pool
  // (peak lending, urgent admission). A request's growth past its own
  // reservation is an overrun (C3), not a loan: reservations only here.
  int64_t loans = 0, promised = 0;
  for (const Request* r : running_) loans += r->lent_blocks;
  const auto add = [&](const Request* r) {
    if (r->lender == nullptr) promised += r->reserved_blocks;  // a guest lives in its host's
  };
  for (const Request* r : running_) add(r);
  for (const Request* r : swapped_) add(r);
  return loans + std::max<int64_t>(0, promised - Admissible());
}

int64_t CacheOptScheduler::ReserveBlocksInUse() const {
  const int64_t used = blocks_.device_total() - blocks_.device_free();
  return std::clamp<int64_t>(used - Admissible(), 0, reserve_blocks_);
}

Request* CacheOptScheduler::FindHost(int32_t reservation, double padded) const {
  int32_t host_growth = blocks_.BlocksFor(static_cast<int64_t>(std::ceil(padded)));
  for (Request* h : running_) {
    if (h->lender != nullptr) continue;  // a guest does not lend
    int32_t unused_tail = h->reserved_blocks - Held(h);
    if (unused_tail - host_growth - h->lent_blocks >= reservation + opts_.lend_buffer_blocks) return h;
  }
  return nullptr;
}

bool CacheOptScheduler::PeakFits(const Request* extra, double extra_padded) const {
  peak_lives_.clear();
  auto add = [&](const Request* r, double padded, int64_t tokens_now) {
    int64_t remain = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(padded)) - r->num_output);
    peak_lives_.push_back({remain, tokens_now});
  };
  for (const Request* r : running_) add(r, r->padded_output, std::max<int64_t>(r->num_computed, 1));
  for (const Request* r : swapped_) add(r, r->padded_output, r->num_computed);
  add(extra, extra_padded, extra->TotalTokens());
  return peak_.Fits(&peak_lives_, blocks_.block_size(), Admissible());
}

bool CacheOptScheduler::WouldAdmit(const Request* r, double now) const {
  double padded = PaddedOutput(r, now);
  int32_t res = ReservationFor(r, padded);
  if (Committed() + res <= Admissible()) return true;
  if (!opts_.lending_on || opts_.lending == LendingMode::kOff) return false;
  if (opts_.lending == LendingMode::kPeak) return PeakFits(r, padded);
  return FindHost(res, padded) != nullptr;
}

bool CacheOptScheduler::TryAdmit(Request* r, double now, int32_t chunk, SchedulerOutput* out) {
  double padded = PaddedOutput(r, now);
  int32_t res = ReservationFor(r, padded);
  Request* host = nullptr;
  bool ok = Committed() + res <= Admissible();
  if (!ok && opts_.lending_on) {
    if (opts_.lending == LendingMode::kPairwise) {
      host = FindHost(res, padded);
      ok = host != nullptr;
    } else if (opts_.lending == LendingMode::kPeak) {
      ok = PeakFits(r, padded);
    }
  }
  if (!ok && opts_.urgent_overcommit && Urgent(r, now)) {
    // About to miss its TTFT SLO: admit on physical room alone, as vLLM
    // would, keeping a watermark free for the running requests' growth.
    int32_t need = blocks_.BlocksFor(static_cast<int64_t>(r->TotalTokens()) + 1);
    ok = blocks_.device_free() - need >= reserve_blocks_ + Watermark();
  }
  if (!ok) return false;
  // Physical blocks for the first chunk (and the lookahead) must exist now.
  if (!Grow(r, r->num_computed + chunk)) return false;
  r->padded_output = padded;
  r->reserved_blocks = res;
  if (r->predicted_output < 0) r->predicted_output = est_->Estimate(r->spec, 0).predicted;
  if (host != nullptr) {
    r->lender = host;
    host->lent_blocks += res;
    ++host->guests;
  }
  MarkRunning(r);
  AddSeq(out, r, chunk);
  return true;
}

bool CacheOptScheduler::Urgent(const Request* r, double now) const {
  double est = cost_->SoloPrefillTime(r->TokensToCompute());
  return r->Preemptions() == 0 && now + est >= r->spec.arrival_s + r->spec.ttft_slo_s * 0.8 &&
         now + est <= r->spec.arrival_s + r->spec.ttft_slo_s;
}

int32_t CacheOptScheduler::Watermark() const {
  return static_cast<int32_t>(std::ceil(0.01 * blocks_.device_total()));
}

void CacheOptScheduler::DropLoans(Request* r) {
  if (r->lender != nullptr) {  // a guest leaves: its loan returns to the host
    r->lender->lent_blocks -= r->reserved_blocks;
    --r->lender->guests;
    r->lender = nullptr;
  }
  if (r->guests > 0) {  // a host leaves: its guests' loans become ordinary reservations
    for (Request* g : running_)
      if (g->lender == r) g->lender = nullptr;
    for (Request* g : swapped_)
      if (g->lender == r) g->lender = nullptr;
    r->guests = 0;
    r->lent_blocks = 0;
  }
}

void CacheOptScheduler::ExtendIfOverrun(Request* r, double now) {
  int32_t lookahead = opts_.proactive_on ? opts_.preallocate_iterations : 0;
  if (r->num_output + 1 + lookahead <= r->padded_output) return;
  // Under-predicted: a fresh padded estimate of what remains, given g.
  double padded = std::max(PaddedOutput(r, now), static_cast<double>(r->num_output + 1 + lookahead));
  padded = std::min(padded, static_cast<double>(r->spec.max_tokens));
  r->padded_output = padded;
  int32_t res = ReservationFor(r, padded);
  if (r->lender != nullptr) r->lender->lent_blocks += std::max(0, res - r->reserved_blocks);
  r->reserved_blocks = res;
}

PreemptKind CacheOptScheduler::ChooseKind(const Request* r) const { return kind_->Kind(*r); }

void CacheOptScheduler::PreemptRequest(Request* victim, bool ahead, SchedulerOutput* out) {
  running_.erase(std::find(running_.begin(), running_.end(), victim));
  // A victim already scheduled this step does not run after all.
  Unschedule(out, victim);
  DropLoans(victim);  // preempted hosts' guests become ordinary reservations
  size_t copies_before = out->swap_out.size();
  Preempt(victim, ChooseKind(victim), out);
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
        EstimatePreemptionCost(*cost_, *r, held, blocks_.host_free(), blocks_.block_size()).Min();
    cands_.push_back(c);
  }
  victim_order_->Order(&cands_);
  for (const VictimCandidate& c : cands_) {
    if (blocks_.device_free() >= need) break;
    // Ahead of time, only a swap is worth starting: its copy overlaps compute.
    if (ahead && (c.req == requester || ChooseKind(c.req) != PreemptKind::kSwap)) continue;
    PreemptRequest(c.req, ahead, out);
    if (c.req == requester) {
      *self = true;
      return false;
    }
  }
  return blocks_.device_free() >= need;
}

int32_t CacheOptScheduler::ChunkWithin(double step_s) const {
  if (!std::isfinite(step_s) || work_.empty()) return token_budget_;
  // Aim under the target by how far real steps overrun their prediction (1
  // in the simulator, where the cost model is the clock).
  step_s /= cost_->OverrunRatioP95();
  // The largest chunk that keeps the predicted step within `step_s`.
  std::vector<SeqWork> w = work_;
  // The chunk attends to what its request has computed so far: a late chunk
  // of a long prompt costs more than its first (the ongoing prefill that gets
  // the budget first; a waiting head starts from its cached part).
  int32_t context = 0;
  if (!prefills_.empty()) context = prefills_.front()->num_computed;
  w.push_back({0, context});
  auto time_with = [&](int32_t b) {
    w.back().num_tokens = b;
    return cost_->StepTime(w);
  };
  int32_t lo = 0, hi = 8192;
  while (lo < hi) {
    int32_t mid = (lo + hi + 1) / 2;
    if (time_with(mid) <= step_s) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

bool CacheOptScheduler::CanTakeLateGap(const Request* r) const {
  // Expected gaps in all: from the length estimate made at admission (not the
  // padded one: over-estimating the length would over-state the allowance).
  const double expected_output = std::max<double>(r->num_output + 1, r->predicted_output);
  return LateGapAllowance(r->gaps, static_cast<int64_t>(std::ceil(expected_output)) - 1) > 0;
}

int32_t CacheOptScheduler::PrefillBudget(double now) const {
  if (waiting_.empty() && prefills_.empty()) return 0;  // nothing to prefill: skip the search
  if (!opts_.slo_batching_on) return token_budget_ - static_cast<int32_t>(work_.size());
  // `tightest`: over every decode; `protect`: over those that cannot afford
  // one more late gap and still meet their p95 (gap_guard).
  double tightest = std::numeric_limits<double>::infinity();
  double protect = std::numeric_limits<double>::infinity();
  for (const Request* r : running_) {
    if (r->InPrefill()) continue;
    tightest = std::min(tightest, r->spec.tbt_slo_s);
    if (!opts_.gap_guard || !CanTakeLateGap(r)) protect = std::min(protect, r->spec.tbt_slo_s);
  }
  int32_t budget = ChunkWithin(tightest);
  // Never starve prefills below the floor; an urgent request gets its chunk.
  int32_t floor = 0;
  if (!waiting_.empty() || !prefills_.empty()) floor = opts_.min_prefill_chunk;
  if (!waiting_.empty()) {
    const Request* head = waiting_.front();
    double est = cost_->SoloPrefillTime(head->TokensToCompute());
    // "Would otherwise miss": its solo prefill would end past 80% of its SLO.
    if (now + est >= head->spec.arrival_s + head->spec.ttft_slo_s * 0.8)
      floor = std::max(floor, std::min(head->TokensToCompute(), opts_.urgent_chunk));
  }
  if (floor > budget) {
    // A floor past the tightest SLO spends the late-gap allowance of the
    // requests that have one, never of those that have none.
    budget = opts_.gap_guard ? std::max(budget, std::min(floor, ChunkWithin(protect))) : floor;
  }
  return budget;
}

void CacheOptScheduler::SortWaiting(double now) {
  if (!opts_.slo_batching_on) return;  // FCFS (preempted requests already at the front)
  // TTFT slack: arrival + SLO - now - estimated prefill; preempted requests
  // (recompute) keep the front, as C5 says.
  auto key = [this](const Request* r) {
    return r->spec.arrival_s + r->spec.ttft_slo_s - cost_->SoloPrefillTime(r->TokensToCompute());
  };
  std::vector<std::pair<double, Request*>> keyed;
  keyed.reserve(waiting_.size());
  // A lost cause (no slack even if started now) sorts after every request
  // that can still make its SLO; among lost causes, first come first served.
  const double late_base = 1e12;
  for (Request* r : waiting_) {
    double k = r->Preemptions() > 0 ? -std::numeric_limits<double>::infinity() : key(r);
    if (opts_.late_last && k < now && r->Preemptions() == 0) k = late_base + r->spec.arrival_s;
    keyed.push_back({k, r});
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second->spec.arrival_s < b.second->spec.arrival_s;
  });
  for (size_t i = 0; i < keyed.size(); ++i) waiting_[i] = keyed[i].second;
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
    ExtendIfOverrun(r, now);
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

  int32_t budget = PrefillBudget(now);
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
    Request* r = swapped_.front();
    int32_t held = static_cast<int32_t>(blocks_.table(r->kv_slot).host.size());
    if (held + 1 > blocks_.device_total()) {  // outgrew the whole pool: can never resume
      swapped_.pop_front();
      Reject(r, out);
      continue;
    }
    if (held + 1 > blocks_.device_free()) break;
    swapped_.pop_front();
    SwapIn(r, out);
    Grow(r, r->num_computed + 1);
    MarkRunning(r);
    AddSeq(out, r, 1);
  }
  if (!swapped_.empty()) return;
  // 4. New admissions, most urgent first.
  SortWaiting(now);
  while (!waiting_.empty() && budget > 0 && static_cast<int32_t>(running_.size()) < opts_.max_num_seqs) {
    Request* r = waiting_.front();
    if (NeverFits(static_cast<int64_t>(r->TotalTokens()) + 1)) {
      waiting_.pop_front();
      Reject(r, out);
      continue;
    }
    int32_t chunk = std::min(r->TokensToCompute(), budget);
    if (!TryAdmit(r, now, chunk, out)) break;
    waiting_.pop_front();
    budget -= chunk;
  }
}

}  // namespace cacheopt
