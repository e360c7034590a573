#include "core/sched/policies/s3.h"

#include <algorithm>
#include <cassert>

#include "core/sched/knobs.h"

namespace cacheopt {

S3Scheduler::S3Scheduler(const SchedulerConfig& config, const CostModel* cost,
                         std::unique_ptr<OutputLengthEstimator> estimator)
    : ReserveMaxScheduler(config, cost), est_(std::move(estimator)) {}

Result<std::unique_ptr<Scheduler>> MakeS3(const SchedulerConfig& config, const CostModel* cost) {
  EstimatorOptions eo;
  if (auto it = config.knobs.find("estimator"); it != config.knobs.end()) eo.name = it->second;
  auto spread = KnobDouble(config.knobs, "noise_spread", eo.noise_spread);
  if (!spread.ok()) return spread.status();
  auto prior = KnobDouble(config.knobs, "prior_tokens", eo.prior_tokens);
  if (!prior.ok()) return prior.status();
  if (*spread < 0 || *prior < 1) return Status::InvalidArgument("s3: noise_spread must be >= 0, prior_tokens >= 1");
  eo.noise_spread = *spread;
  eo.prior_tokens = *prior;
  eo.truth = config.truth;
  auto est = MakeEstimator(eo);
  if (!est.ok()) return est.status();
  return std::unique_ptr<Scheduler>(new S3Scheduler(config, cost, std::move(*est)));
}

int32_t S3Scheduler::BucketEdge(double predicted, int32_t cap) {
  int64_t edge = 64;
  while (edge < predicted && edge < cap) edge *= 2;
  return static_cast<int32_t>(std::min<int64_t>(edge, cap));
}

int32_t S3Scheduler::Reservation(Request* r) {
  // First admission: the bucket of the prediction. After an overrun the
  // request keeps its (doubled) bucket in padded_output.
  if (r->padded_output <= 0) {
    double predicted = est_->Estimate(r->spec, 0).predicted;
    if (r->predicted_output < 0) r->predicted_output = predicted;
    r->padded_output = BucketEdge(predicted, r->spec.max_tokens);
  }
  int64_t tokens = std::min<int64_t>(static_cast<int64_t>(r->spec.prompt_tokens) +
                                         static_cast<int64_t>(r->padded_output),
                                     config_.max_model_len);
  return blocks_.BlocksFor(tokens);
}

bool S3Scheduler::OnOverrun(Request* r, SchedulerOutput* out) {
  // Under-predicted: recompute, and come back with the next bucket.
  r->padded_output = std::min<double>(2 * r->padded_output, r->spec.max_tokens);
  running_.erase(std::find(running_.begin(), running_.end(), r));
  Preempt(r, PreemptKind::kRecompute, out);
  return false;
}

void S3Scheduler::OnEnded(Request* r) {
  if (r->state == RequestState::kFinished) est_->Observe(r->spec, r->num_output, r->predicted_output);
}

}  // namespace cacheopt
