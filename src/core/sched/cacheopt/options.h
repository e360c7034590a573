// CacheOPT's knobs, each with its default and where the default comes from.
// Set with `--set KEY=VALUE`; docs/scheduling.md explains each.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "core/estimate/estimator.h"
#include "core/estimate/padding.h"

namespace cacheopt {

enum class LendingMode : int8_t { kOff, kPairwise, kPeak };

// Frozen on the tuning set (scripts/tune-cacheopt.sh, docs/scheduling.md).
inline CoverageOptions TunedCoverage() {
  CoverageOptions c;
  c.alpha = 0.5;
  return c;
}

struct CacheOptOptions {
  // C1: estimation and padding.
  EstimatorOptions estimator;          // knob `estimator` (history), `noise_spread`
  PaddingOptions padding;              // knob `padding` (conformal), `hoeffding_n` (1)
  // knobs `alpha`, `beta`, `p_min`, `p_max`. alpha 0.5 (the paper's 0.95 is
  // the CoverageOptions default) was the tuning set's best: see TunedCoverage.
  CoverageOptions coverage = TunedCoverage();
  double rate_tau_s = 30;              // knob `rate_tau_s`: EWMA time constant of lambda
  // C2: reservations and lending.
  // knob `lending` (pairwise|peak|off); peak won on every tuning setup.
  LendingMode lending = LendingMode::kPeak;
  int32_t lend_buffer_blocks = 8;      // knob `lend_buffer_blocks` (secondary source)
  // C3: proactive allocation and the global reserve.
  int32_t preallocate_iterations = 2;  // knob `preallocate_iterations`
  int32_t reserve_blocks = -1;         // knob `reserve_blocks`; -1 = 2% of the device pool
  // C4: victim selection.
  int32_t max_preemptions = 2;         // knob `max_preemptions` (starvation guard)
  // SLO-aware batching.
  int32_t min_prefill_chunk = 256;     // knob `min_prefill_chunk`
  int32_t urgent_chunk = 512;          // knob `urgent_chunk`: what a request about to miss its TTFT gets
  // knob `late_last` (0|1): a waiting request that can no longer meet its TTFT
  // SLO goes behind those that still can (aim at attainment, CACHEOPT.md).
  int32_t late_last = 1;
  // knob `urgent_overcommit` (0|1): a request about to miss its TTFT SLO is
  // admitted on physical room alone; C4/C5 absorb any later shortage.
  int32_t urgent_overcommit = 1;
  // knob `gap_guard` (0|1): the prefill floors (min_prefill_chunk, urgent_chunk)
  // may push a step past a running request's TBT SLO only while that request
  // can still afford one more late gap and meet its p95 (GapAllowance);
  // otherwise the floor is cut to what its SLO allows.
  int32_t gap_guard = 1;
  int32_t fallback_token_budget = 2048;  // Sarathi-style budget when slo-batching is off
  int32_t max_num_seqs = 256;          // knob `max_num_seqs` (vLLM's default)
  // Switches (`disable=padding,lending,proactive,reserve,victim,strategy,slo-batching`).
  bool padding_on = true, lending_on = true, proactive_on = true, reserve_on = true,
       victim_on = true, strategy_on = true, slo_batching_on = true;
};

// Every knob name `cacheopt` accepts.
const std::vector<std::string>& CacheOptKnobNames();

// Parses knobs onto defaults; errors name the knob and the allowed values.
Result<CacheOptOptions> ParseCacheOptOptions(const std::map<std::string, std::string>& knobs);

}  // namespace cacheopt
