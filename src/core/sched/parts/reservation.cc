#include "core/sched/parts/reservation.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

int32_t MaxTokensReservation::Blocks(Request* r, const SchedulerConfig& config, const BlockManager& blocks) {
  const int64_t tokens =
      std::min<int64_t>(static_cast<int64_t>(r->spec.prompt_tokens) + r->spec.max_tokens, config.max_model_len);
  return blocks.BlocksFor(tokens);
}

bool MaxTokensReservation::OnOverrun(Request* /*r*/) {
  assert(false && "a prompt + max_tokens reservation cannot overrun");
  return false;
}

int32_t BucketReservation::BucketEdge(double predicted, int32_t cap) {
  int64_t edge = 64;
  while (edge < predicted && edge < cap) edge *= 2;
  return static_cast<int32_t>(std::min<int64_t>(edge, cap));
}

int32_t BucketReservation::Blocks(Request* r, const SchedulerConfig& config, const BlockManager& blocks) {
  // First admission: the bucket of the prediction. After an overrun the
  // request keeps its (doubled) bucket in padded_output.
  if (r->padded_output <= 0) {
    const double predicted = est_->Estimate(r->spec, 0).predicted;
    if (r->predicted_output < 0) r->predicted_output = predicted;
    r->padded_output = BucketEdge(predicted, r->spec.max_tokens);
  }
  const int64_t tokens = std::min<int64_t>(
      static_cast<int64_t>(r->spec.prompt_tokens) + static_cast<int64_t>(r->padded_output), config.max_model_len);
  return blocks.BlocksFor(tokens);
}

bool BucketReservation::OnOverrun(Request* r) {
  // Under-predicted: recompute, and come back with the next bucket.
  r->padded_output = std::min<double>(2 * r->padded_output, r->spec.max_tokens);
  return true;
}

void BucketReservation::OnEnded(const Request& r) {
  if (r.state == RequestState::kFinished) est_->Observe(r.spec, r.num_output, r.predicted_output);
}

}  // namespace cacheopt
