#include "core/sched/cacheopt/reservations.h"

#include <algorithm>
#include <cmath>

namespace cacheopt {

CacheOptReservations::CacheOptReservations(const CacheOptOptions& opts, const SchedulerConfig& config,
                                           const CostModel* cost, const BlockManager* blocks,
                                           const std::vector<Request*>* running, const std::deque<Request*>* swapped,
                                           std::unique_ptr<OutputLengthEstimator> estimator)
    : opts_(opts),
      config_(config),
      cost_(cost),
      blocks_(blocks),
      running_(running),
      swapped_(swapped),
      est_(std::move(estimator)),
      rate_(opts.rate_tau_s),
      lookahead_(opts.proactive_on ? opts.preallocate_iterations : 0) {
  if (opts_.reserve_on) {
    reserve_blocks_ = opts_.reserve_blocks >= 0 ? opts_.reserve_blocks
                                                : static_cast<int32_t>(std::ceil(0.02 * config.device_blocks));
    reserve_blocks_ = std::min(reserve_blocks_, config.device_blocks / 2);
  }
}

void CacheOptReservations::OnEnded(Request* r) {
  if (r->state == RequestState::kFinished) est_->Observe(r->spec, r->num_output, r->predicted_output);
  DropLoans(r);
}

int32_t CacheOptReservations::Held(const Request* r) const {
  if (r->kv_slot < 0) return 0;
  const BlockTable& t = blocks_->table(r->kv_slot);
  return static_cast<int32_t>(t.device.size() + t.host.size());
}

double CacheOptReservations::PaddedOutput(const Request* r, double now) const {
  LengthEstimate e = est_->Estimate(r->spec, r->num_output);
  PaddingOptions padding = opts_.padding;
  if (!opts_.padding_on) padding.mode = PaddingMode::kNone;
  double p = Coverage(rate_.Rate(now), opts_.coverage);
  return PaddedLength(e, *est_, p, padding, r->num_output, r->spec.max_tokens);
}

int32_t CacheOptReservations::ReservationFor(const Request* r, double padded) const {
  int64_t tokens = std::min<int64_t>(r->spec.prompt_tokens + static_cast<int64_t>(std::ceil(padded)),
                                     config_.max_model_len);
  // A request alone may always reserve the whole admissible pool.
  return static_cast<int32_t>(std::min<int64_t>(blocks_->BlocksFor(tokens), std::max<int64_t>(1, Admissible())));
}

int64_t CacheOptReservations::Committed() const {
  // The device blocks held now, once each (a block shared through the prefix
  // cache is one block), swapped requests' host blocks, and the growth each
  // reservation still promises; a guest's blocks inside its loan are its
  // host's promise. Without sharing this is the sum of max(held, reserved)
  // (a guest: its overrun alone) over running and swapped requests.
  int64_t c = blocks_->device_total() - blocks_->device_free();
  auto add = [&](const Request* r) {
    const int32_t held = Held(r);
    c += r->lender != nullptr ? -std::min(held, r->reserved_blocks) : std::max(0, r->reserved_blocks - held);
  };
  for (const Request* r : *running_) add(r);
  for (const Request* r : *swapped_) {
    c += Held(r);
    add(r);
  }
  return c;
}

int64_t CacheOptReservations::Admissible() const { return blocks_->device_total() - reserve_blocks_; }

int64_t CacheOptReservations::LentBlocks() const {
  // Pairwise loans, plus reservations promised beyond the admissible pool
  // (peak lending, urgent admission). A request's growth past its own
  // reservation is an overrun (C3), not a loan: reservations only here.
  int64_t loans = 0, promised = 0;
  for (const Request* r : *running_) loans += r->lent_blocks;
  const auto add = [&](const Request* r) {
    if (r->lender == nullptr) promised += r->reserved_blocks;  // a guest lives in its host's
  };
  for (const Request* r : *running_) add(r);
  for (const Request* r : *swapped_) add(r);
  return loans + std::max<int64_t>(0, promised - Admissible());
}

int64_t CacheOptReservations::ReserveBlocksInUse() const {
  const int64_t used = blocks_->device_total() - blocks_->device_free();
  return std::clamp<int64_t>(used - Admissible(), 0, reserve_blocks_);
}

Request* CacheOptReservations::FindHost(int32_t reservation, double padded) const {
  int32_t host_growth = blocks_->BlocksFor(static_cast<int64_t>(std::ceil(padded)));
  for (Request* h : *running_) {
    if (h->lender != nullptr) continue;  // a guest does not lend
    int32_t unused_tail = h->reserved_blocks - Held(h);
    if (unused_tail - host_growth - h->lent_blocks >= reservation + opts_.lend_buffer_blocks) return h;
  }
  return nullptr;
}

bool CacheOptReservations::PeakFits(const Request* extra, double extra_padded, const PrefixHit& hit) const {
  peak_lives_.clear();
  // Each life counts its whole table; blocks shared through the prefix cache
  // would count once per holder, so the room grows by the excess.
  int64_t excess = 0;
  if (blocks_->prefix_caching()) {
    for (const Request* r : *running_) excess += r->kv_slot >= 0 ? blocks_->table(r->kv_slot).device.size() : 0;
    excess -= blocks_->device_total() - blocks_->device_free();
    excess += hit.blocks - hit.evictable;  // already held by others
  }
  auto add = [&](const Request* r, double padded, int64_t tokens_now) {
    int64_t remain = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(padded)) - r->num_output);
    peak_lives_.push_back({remain, tokens_now});
  };
  for (const Request* r : *running_) add(r, r->padded_output, std::max<int64_t>(r->num_computed, 1));
  for (const Request* r : *swapped_) add(r, r->padded_output, r->num_computed);
  add(extra, extra_padded, extra->TotalTokens());
  return peak_.Fits(&peak_lives_, blocks_->block_size(), Admissible() + excess);
}

bool CacheOptReservations::WouldAdmit(const Request* r, double now) const {
  double padded = PaddedOutput(r, now);
  int32_t res = ReservationFor(r, padded);
  if (Committed() + res <= Admissible()) return true;
  if (!opts_.lending_on || opts_.lending == LendingMode::kOff) return false;
  if (opts_.lending == LendingMode::kPeak) return PeakFits(r, padded, {});
  return FindHost(res, padded) != nullptr;
}

CacheOptReservations::Admission CacheOptReservations::Decide(const Request* r, double now,
                                                            const PrefixHit& hit) const {
  Admission a;
  a.padded = PaddedOutput(r, now);
  a.reservation = ReservationFor(r, a.padded);
  // The blocks it newly takes: its cached prefix is already held or counted free.
  const int32_t fresh = std::max(0, a.reservation - hit.blocks) + hit.evictable;
  a.ok = Committed() + fresh <= Admissible();
  if (!a.ok && opts_.lending_on) {
    if (opts_.lending == LendingMode::kPairwise && hit.blocks == 0) {
      // (A request with a cached prefix is no guest: its loan would cover
      // blocks that others hold.)
      a.host = FindHost(a.reservation, a.padded);
      a.ok = a.host != nullptr;
    } else if (opts_.lending == LendingMode::kPeak) {
      a.ok = PeakFits(r, a.padded, hit);
    }
  }
  if (!a.ok && opts_.urgent_overcommit && Urgent(r, now)) {
    // About to miss its TTFT SLO: admit on physical room alone, as vLLM
    // would, keeping a watermark free for the running requests' growth.
    int32_t need = std::max(0, blocks_->BlocksFor(static_cast<int64_t>(r->TotalTokens()) + 1) - hit.blocks) +
                   hit.evictable;
    a.ok = blocks_->device_free() - need >= reserve_blocks_ + Watermark();
  }
  return a;
}

void CacheOptReservations::Book(Request* r, const Admission& a) {
  r->padded_output = a.padded;
  r->reserved_blocks = a.reservation;
  if (r->predicted_output < 0) r->predicted_output = est_->Estimate(r->spec, 0).predicted;
  if (a.host != nullptr) {
    r->lender = a.host;
    a.host->lent_blocks += a.reservation;
    ++a.host->guests;
  }
}

bool CacheOptReservations::Urgent(const Request* r, double now) const {
  double est = cost_->SoloPrefillTime(r->TokensToCompute());
  return r->Preemptions() == 0 && now + est >= r->spec.arrival_s + r->spec.ttft_slo_s * 0.8 &&
         now + est <= r->spec.arrival_s + r->spec.ttft_slo_s;
}

int32_t CacheOptReservations::Watermark() const {
  return static_cast<int32_t>(std::ceil(0.01 * blocks_->device_total()));
}

void CacheOptReservations::DropLoans(Request* r) {
  if (r->lender != nullptr) {  // a guest leaves: its loan returns to the host
    r->lender->lent_blocks -= r->reserved_blocks;
    --r->lender->guests;
    r->lender = nullptr;
  }
  if (r->guests > 0) {  // a host leaves: its guests' loans become ordinary reservations
    for (Request* g : *running_)
      if (g->lender == r) g->lender = nullptr;
    for (Request* g : *swapped_)
      if (g->lender == r) g->lender = nullptr;
    r->guests = 0;
    r->lent_blocks = 0;
  }
}

void CacheOptReservations::Extend(Request* r, double now) {
  // Under-predicted: a fresh padded estimate of what remains, given g.
  double padded = std::max(PaddedOutput(r, now), static_cast<double>(r->num_output + 1 + lookahead_));
  padded = std::min(padded, static_cast<double>(r->spec.max_tokens));
  r->padded_output = padded;
  int32_t res = ReservationFor(r, padded);
  if (r->lender != nullptr) r->lender->lent_blocks += std::max(0, res - r->reserved_blocks);
  r->reserved_blocks = res;
}

}  // namespace cacheopt
