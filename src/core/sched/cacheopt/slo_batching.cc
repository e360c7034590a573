#include "core/sched/cacheopt/slo_batching.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "core/sched/cacheopt/gap_allowance.h"

namespace cacheopt {

int32_t SloBatching::ChunkWithin(double step_s, std::span<const SeqWork> decodes, int32_t context) const {
  if (!std::isfinite(step_s) || decodes.empty()) return token_budget_;
  // Aim under the target by how far real steps overrun their prediction (1
  // in the simulator, where the cost model is the clock).
  step_s /= cost_->OverrunRatioP95();
  // The largest chunk that keeps the predicted step within `step_s`.
  std::vector<SeqWork> w(decodes.begin(), decodes.end());
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

bool SloBatching::CanTakeLateGap(const Request* r) {
  // Expected gaps in all: from the length estimate made at admission (not the
  // padded one: over-estimating the length would over-state the allowance).
  const double expected_output = std::max<double>(r->num_output + 1, r->predicted_output);
  return LateGapAllowance(r->gaps, static_cast<int64_t>(std::ceil(expected_output)) - 1) > 0;
}

int32_t SloBatching::PrefillBudget(double now, std::span<const SeqWork> decodes,
                                   std::span<Request* const> prefills) const {
  if (waiting_->empty() && prefills.empty()) return 0;  // nothing to prefill: skip the search
  if (!opts_.slo_batching_on) return token_budget_ - static_cast<int32_t>(decodes.size());
  // The chunk attends to what its request has computed so far: a late chunk
  // of a long prompt costs more than its first (the ongoing prefill that gets
  // the budget first; a waiting head starts from its cached part).
  const int32_t context = prefills.empty() ? 0 : prefills.front()->num_computed;
  // `tightest`: over every decode; `protect`: over those that cannot afford
  // one more late gap and still meet their p95 (gap_guard).
  double tightest = std::numeric_limits<double>::infinity();
  double protect = std::numeric_limits<double>::infinity();
  for (const Request* r : *running_) {
    if (r->InPrefill()) continue;
    tightest = std::min(tightest, r->spec.tbt_slo_s);
    if (!opts_.gap_guard || !CanTakeLateGap(r)) protect = std::min(protect, r->spec.tbt_slo_s);
  }
  int32_t budget = ChunkWithin(tightest, decodes, context);
  // Never starve prefills below the floor; an urgent request gets its chunk.
  int32_t floor = 0;
  if (!waiting_->empty() || !prefills.empty()) floor = opts_.min_prefill_chunk;
  if (!waiting_->empty()) {
    const Request* head = waiting_->front();
    double est = cost_->SoloPrefillTime(head->TokensToCompute());
    // "Would otherwise miss": its solo prefill would end past 80% of its SLO.
    if (now + est >= head->spec.arrival_s + head->spec.ttft_slo_s * 0.8)
      floor = std::max(floor, std::min(head->TokensToCompute(), opts_.urgent_chunk));
  }
  if (floor > budget) {
    // A floor past the tightest SLO spends the late-gap allowance of the
    // requests that have one, never of those that have none.
    budget = opts_.gap_guard ? std::max(budget, std::min(floor, ChunkWithin(protect, decodes, context))) : floor;
  }
  return budget;
}

void SloBatching::SortWaiting(double now) {
  if (!opts_.slo_batching_on) return;  // FCFS (preempted requests already at the front)
  // TTFT slack: arrival + SLO - now - estimated prefill; preempted requests
  // (recompute) keep the front, as C5 says.
  auto key = [this](const Request* r) {
    return r->spec.arrival_s + r->spec.ttft_slo_s - cost_->SoloPrefillTime(r->TokensToCompute());
  };
  std::vector<std::pair<double, Request*>> keyed;
  keyed.reserve(waiting_->size());
  // A lost cause (no slack even if started now) sorts after every request
  // that can still make its SLO; among lost causes, first come first served.
  const double late_base = 1e12;
  for (Request* r : *waiting_) {
    double k = r->Preemptions() > 0 ? -std::numeric_limits<double>::infinity() : key(r);
    if (opts_.late_last && k < now && r->Preemptions() == 0) k = late_base + r->spec.arrival_s;
    keyed.push_back({k, r});
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return a.second->spec.arrival_s < b.second->spec.arrival_s;
  });
  for (size_t i = 0; i < keyed.size(); ++i) (*waiting_)[i] = keyed[i].second;
}

}  // namespace cacheopt
