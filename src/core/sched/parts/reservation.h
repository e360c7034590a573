// Reservation-based capacity (TensorRT-LLM's GUARANTEED_NO_EVICT capacity
// scheduler; S3): a request enters only when the pool can promise it the
// blocks for its prompt plus an output allowance, which the rule decides.
#pragma once

#include <cstdint>
#include <memory>

#include "core/estimate/estimator.h"
#include "core/kv/block_manager.h"
#include "cacheopt/request.h"
#include "cacheopt/scheduler_config.h"

namespace cacheopt {

class ReservationRule {
 public:
  virtual ~ReservationRule() = default;
  // Blocks to promise `r` at admission (the rule may note its allowance in `r`).
  virtual int32_t Blocks(Request* r, const SchedulerConfig& config, const BlockManager& blocks) = 0;
  // `r` needs more than its promise. True: preempt it (recompute) to come
  // back with a larger one; false: impossible under this rule.
  virtual bool OnOverrun(Request* r) = 0;
  virtual void OnEnded(const Request& /*r*/) {}
};

// Prompt plus the max_tokens cap: never overruns (reserve-max).
class MaxTokensReservation final : public ReservationRule {
 public:
  int32_t Blocks(Request* r, const SchedulerConfig& config, const BlockManager& blocks) override;
  bool OnOverrun(Request* r) override;
};

// S3: the predicted output's bucket (upper edges 64, 128, 256, ... up to the
// cap); an overrun doubles it. The estimator learns from finished requests.
class BucketReservation final : public ReservationRule {
 public:
  explicit BucketReservation(std::unique_ptr<OutputLengthEstimator> estimator) : est_(std::move(estimator)) {}
  int32_t Blocks(Request* r, const SchedulerConfig& config, const BlockManager& blocks) override;
  bool OnOverrun(Request* r) override;
  void OnEnded(const Request& r) override;

  // The upper edge of the bucket holding `predicted`, capped at `cap`.
  static int32_t BucketEdge(double predicted, int32_t cap);

 private:
  std::unique_ptr<OutputLengthEstimator> est_;
};

}  // namespace cacheopt
