#include "core/sched/policies/s3.h"

#include "core/estimate/estimator.h"
#include "core/sched/knobs.h"
#include "core/sched/parts/reservation.h"
#include "core/sched/policies/reserve_max.h"

namespace cacheopt {

Result<SchedulerPtr> MakeS3(const SchedulerConfig& config, const CostModel* cost) {
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
  return SchedulerPtr(
      new ReserveMaxScheduler(config, cost, "s3", std::make_unique<BucketReservation>(std::move(*est))));
}

}  // namespace cacheopt
