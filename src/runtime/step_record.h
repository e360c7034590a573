// What one real engine step did and where its wall time went: the inputs the
// cost model predicts from (each sequence's new tokens and context, the
// copies between KV tiers) beside the measured split. Plain data, filled by
// RealEngine::Step; written as a steps log (sim/steps_log.h) and observed
// into /metrics.
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/cost/cost_model.h"

namespace cacheopt {

struct StepRecord {
  int64_t step = 0;    // steps that ran before this one
  double start_s = 0;  // engine clock
  // The scheduled batch, in the scheduler's order.
  std::vector<int64_t> ids;
  std::vector<SeqWork> seqs;
  std::vector<bool> prefill;  // ScheduledSeq::prefill()
  int64_t swap_out_blocks = 0, swap_in_blocks = 0, swap_out_ahead_blocks = 0;
  // Measured seconds. wall_s is the whole Session::Step; the executor's part
  // splits into copy, prepare (batch building), forward and sample; schedule_s
  // is the rest of the step (Schedule, Update, finished requests). loop_s is
  // the engine loop outside the step since the previous one ended while work
  // was pending (taking submits, routing events, metrics): 0 after idle.
  double wall_s = 0;
  double copy_s = 0, prepare_s = 0, forward_s = 0, sample_s = 0, schedule_s = 0;
  double loop_s = 0;
  // The engine's own (online) cost model's prediction for the step,
  // compute plus copies, after it observed the step (it refits every 32).
  double predicted_s = 0;

  int64_t prefill_tokens() const {
    int64_t n = 0;
    for (size_t i = 0; i < seqs.size(); ++i) n += prefill[i] ? seqs[i].num_tokens : 0;
    return n;
  }
  int64_t decode_tokens() const {
    int64_t n = 0;
    for (size_t i = 0; i < seqs.size(); ++i) n += prefill[i] ? 0 : seqs[i].num_tokens;
    return n;
  }
};

}  // namespace cacheopt
