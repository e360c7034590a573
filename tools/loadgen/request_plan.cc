#include "loadgen/request_plan.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "cacheopt/util/short_number.h"
#include "sim/workload.h"

namespace cacheopt::bench {
namespace {

int32_t Scale(int32_t tokens, double factor) {
  const double scaled = std::round(static_cast<double>(tokens) / factor);
  return static_cast<int32_t>(std::clamp(scaled, 1.0, static_cast<double>(INT32_MAX)));
}

}  // namespace

Result<ArrivalSpec> ArrivalFromFlags(std::optional<double> burstiness, std::optional<double> arrival_cv) {
  if (burstiness && arrival_cv)
    return Status::InvalidArgument(
        "give --burstiness (the Gamma shape) or --arrival-cv, not both: CV = 1 / sqrt(burstiness)");
  ArrivalSpec a;
  if (burstiness) {
    if (!(*burstiness > 0) || !std::isfinite(*burstiness))
      return Status::InvalidArgument("--burstiness must be a finite number > 0, got " + ShortNumber(*burstiness));
    a.cv = 1.0 / std::sqrt(*burstiness);
  } else if (arrival_cv) {
    if (!(*arrival_cv > 0) || !std::isfinite(*arrival_cv))
      return Status::InvalidArgument("--arrival-cv must be a finite number > 0, got " + ShortNumber(*arrival_cv));
    a.cv = *arrival_cv;
  }
  a.kind = a.cv == 1.0 ? ArrivalKind::kPoisson : ArrivalKind::kGamma;
  return a;
}

const char* SloClassName(int slo_class) {
  switch (slo_class) {
    case 0:
      return "tight";
    case 2:
      return "loose";
    default:
      return "medium";
  }
}

Trace ScaleTraceLengths(const Trace& trace, double factor) {
  Trace out = trace;
  if (factor == 1.0) return out;
  for (TraceRow& r : out.rows) {
    r.prompt_tokens = Scale(r.prompt_tokens, factor);
    r.output_tokens = Scale(r.output_tokens, factor);
    if (r.max_tokens > 0) r.max_tokens = Scale(r.max_tokens, factor);
  }
  return out;
}

Result<RequestPlan> BuildRequestPlan(const Trace& trace, const PlanOptions& o) {
  if (!(o.length_scale > 0) || !std::isfinite(o.length_scale))
    return Status::InvalidArgument("--length-scale must be a finite number > 0, got " + ShortNumber(o.length_scale));
  if (o.max_context <= 0)
    return Status::InvalidArgument("the model's context must be > 0, got " + std::to_string(o.max_context));
  if (o.num_requests <= 0)
    return Status::InvalidArgument("--num-prompts must be >= 1, got " + std::to_string(o.num_requests));
  if (!(o.rate_rps > 0))
    return Status::InvalidArgument("--rate must be > 0 (or inf: every request at once), got " + ShortNumber(o.rate_rps));
  if (o.token_lo < 0 || o.token_hi <= o.token_lo)
    return Status::InvalidArgument("the prompt token range must be LO:HI with 0 <= LO < HI, got " +
                                   std::to_string(o.token_lo) + ":" + std::to_string(o.token_hi));

  const bool all_at_once = std::isinf(o.rate_rps);
  const Trace scaled = ScaleTraceLengths(trace, o.length_scale);
  WorkloadOptions w;
  w.arrival = all_at_once ? ArrivalKind::kPoisson : o.arrival.kind;
  w.arrival_cv = o.arrival.cv;
  w.rate_rps = all_at_once ? 1.0 : o.rate_rps;  // any rate: the offsets are replaced by 0
  w.num_requests = o.num_requests;
  w.seed = o.seed;
  w.max_context = o.max_context;
  auto workload = BuildWorkload(scaled, w);
  if (!workload.ok()) return workload.status();

  RequestPlan plan;
  plan.trace_rows = static_cast<int64_t>(trace.rows.size());
  plan.dropped_over_context = workload->dropped_over_context;
  Rng ids = Rng::Stream(o.seed, streams::kBenchPromptTokens);
  const uint64_t span = static_cast<uint64_t>(o.token_hi - o.token_lo);
  for (const WorkloadRequest& q : workload->requests) {
    PlannedRequest p;
    p.id = q.id;
    p.send_offset_s = all_at_once ? 0.0 : q.arrival_s;
    p.prompt_tokens = q.prompt_tokens;
    p.prompt_ids.reserve(static_cast<size_t>(q.prompt_tokens));
    for (int32_t i = 0; i < q.prompt_tokens; ++i)
      p.prompt_ids.push_back(o.token_lo + static_cast<int32_t>(UniformInt(ids, span)));
    p.eos_after = q.output_tokens;
    p.max_tokens = o.ignore_eos ? q.output_tokens : q.max_tokens;
    p.default_cap = !o.ignore_eos && q.max_tokens == o.max_context - q.prompt_tokens;
    p.slo_class = q.slo_class;
    plan.requests.push_back(std::move(p));
  }

  std::string desc = workload->description;
  if (all_at_once) {
    const std::string drawn = "poisson arrivals at 1 req/s";
    if (size_t at = desc.find(drawn); at != std::string::npos)
      desc.replace(at, drawn.size(), "every request at 0 (rate inf)");
  }
  plan.description = "lengths / " + ShortNumber(o.length_scale) + "; " + desc;
  return plan;
}

}  // namespace cacheopt::bench
