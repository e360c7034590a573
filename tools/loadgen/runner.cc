#include "loadgen/runner.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <sstream>

#include "cacheopt/util/names.h"
#include "cacheopt/util/short_number.h"
#include "loadgen/base_url.h"
#include "loadgen/bench_progress.h"
#include "loadgen/open_loop.h"
#include "loadgen/probe.h"
#include "loadgen/request_body.h"
#include "loadgen/server_info.h"
#include "loadgen/stream_request.h"

namespace cacheopt::bench {
namespace {

std::string LocalDate() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y%m%d-%H%M%S", &tm);
  return buf;
}

// The model to send and the context to plan for, from the flags and, when
// it answers, GET /v1/models.
Status ResolveModel(const HttpTarget& target, const BenchOptions& o, BenchRun* run) {
  auto models = FetchModels(target);
  if (!models.ok()) {
    if (models.status().code() == StatusCode::kIoError || o.model.empty() || o.max_context <= 0) {
      std::string m = models.status().message();
      if (models.status().code() != StatusCode::kIoError) m += "; without a model list, pass --model and --max-context";
      return Status::InvalidArgument(m);
    }
    if (o.log != nullptr)
      *o.log << "bench: warning: " << models.status().message() << "; using --model and --max-context\n";
    run->model = o.model;
    run->max_context = o.max_context;
    run->context_source = "--max-context";
    return Status::Ok();
  }
  const ServedModelInfo* chosen = nullptr;
  if (o.model.empty()) {
    if (models->empty())
      return Status::InvalidArgument("GET " + target.url.Url("/v1/models") + " lists no model; pass --model");
    chosen = &models->front();
  } else {
    for (const ServedModelInfo& m : *models)
      if (m.id == o.model) chosen = &m;
    if (chosen == nullptr) {
      std::vector<std::string> ids;
      for (const ServedModelInfo& m : *models) ids.push_back(m.id);
      return Status::InvalidArgument("the server does not serve model '" + o.model + "'; it serves: " + JoinNames(ids));
    }
  }
  run->model = chosen->id;
  if (o.max_context > 0) {
    run->max_context = o.max_context;
    run->context_source = "--max-context";
    if (chosen->max_model_len > 0 && o.max_context > chosen->max_model_len && o.log != nullptr)
      *o.log << "bench: warning: --max-context " << o.max_context << " is over the server's max_model_len "
             << chosen->max_model_len << "; long requests will be refused\n";
  } else if (chosen->max_model_len > 0) {
    run->max_context = chosen->max_model_len;
    run->context_source = "max_model_len from GET /v1/models";
  } else {
    return Status::InvalidArgument("the server does not report max_model_len for model '" + chosen->id +
                                   "'; pass --max-context N (the model's context in tokens)");
  }
  return Status::Ok();
}

}  // namespace

Result<BenchRun> RunBenchmark(const Trace& trace, const BenchOptions& o) {
  BenchRun run;
  run.options = o;
  run.date = LocalDate();
  if (o.endpoint.empty() || o.endpoint.front() != '/')
    return Status::InvalidArgument("--endpoint must be a path starting with '/', e.g. /v1/completions; got '" +
                                   o.endpoint + "'");
  if (o.max_concurrency < 0) return Status::InvalidArgument("--max-concurrency must be >= 1");
  if (o.max_context < 0) return Status::InvalidArgument("--max-context must be >= 1");
  auto url = ParseBaseUrl(o.base_url);
  if (!url.ok()) return url.status();
  HttpTarget target;
  target.url = *url;
  target.api_key = o.api_key;
  target.connect_timeout_s = o.connect_timeout_s;
  target.read_timeout_s = o.read_timeout_s;

  if (Status s = ResolveModel(target, o, &run); !s.ok()) return s;
  if (o.log != nullptr)
    *o.log << "bench: server " << target.url.Origin() << ": model " << run.model << ", context " << run.max_context
           << " (" << run.context_source << ")\n";

  PlanOptions plan_opts = o.plan;
  plan_opts.max_context = run.max_context;
  auto plan = BuildRequestPlan(trace, plan_opts);
  if (!plan.ok()) return plan.status();
  run.plan = std::move(*plan);
  if (o.log != nullptr) *o.log << "bench: workload: " << run.plan.description << "\n";

  BodyOptions body;
  body.kind = EndpointKindOf(o.endpoint);
  body.model = run.model;
  body.ignore_eos = o.plan.ignore_eos;

  std::optional<double> decode_step_ms;
  if (o.probe) {
    auto probe = RunProbe(target, o.endpoint, body, run.plan.requests.front(), run.max_context, o.plan.ignore_eos);
    if (!probe.ok()) return probe.status();
    const RequestRecord& r = probe->record;
    decode_step_ms = probe->decode_step_ms;
    if (o.log != nullptr) {
      *o.log << "bench: probe: " << r.output_tokens << " tokens alone, TTFT " << ShortNumber(r.ttft_s * 1e3) << " ms, E2E "
             << ShortNumber(r.e2el_s * 1e3) << " ms";
      if (decode_step_ms)
        *o.log << "; solo decode step " << ShortNumber(*decode_step_ms) << " ms (E2E slope, " << probe->short_tokens << " vs "
               << probe->long_tokens << " tokens)";
      *o.log << "\n";
      if (o.slo.ttft_ms.empty() && 5 * r.ttft_s > 1.0)
        *o.log << "bench: warning: 5 x the probe's TTFT is over 1 s: the TTFT SLO default (the 1 s floor) is too "
                  "tight for this model; give --ttft-slo-ms\n";
    }
    run.probe = *probe;
  }
  auto slo = ResolveSloTargets(o.slo, decode_step_ms, &run.plan.requests);
  if (!slo.ok()) return slo.status();
  run.slo = std::move(*slo);
  if (o.log != nullptr) {
    *o.log << "bench: SLO targets tight / medium / loose: " << run.slo.source << "\n";
    const ArrivalSpec& a = o.plan.arrival;
    *o.log << "Traffic request rate: " << (std::isinf(o.plan.rate_rps) ? std::string("inf") : ShortNumber(o.plan.rate_rps))
           << "\n";
    *o.log << "Burstiness factor: " << ShortNumber(1.0 / (a.cv * a.cv)) << " ("
           << (a.kind == ArrivalKind::kPoisson ? "Poisson process" : "Gamma distribution, CV " + ShortNumber(a.cv)) << ")\n";
    *o.log << "Maximum request concurrency: "
           << (o.max_concurrency > 0 ? std::to_string(o.max_concurrency) : std::string("None")) << "\n";
  }

  // Tell the server the SLOs each request will be judged by: without them it
  // schedules for its own class defaults (a tight class of 4x its solo step),
  // which can be far tighter than the client's targets.
  for (size_t i = 0; i < run.plan.requests.size(); ++i) {
    PlannedRequest& p = run.plan.requests[i];
    p.ttft_slo_ms = 1e3 * run.slo.Ttft(i, p.slo_class);
    if (auto tbt = run.slo.Tbt(i, p.slo_class)) p.tbt_slo_ms = 1e3 * *tbt;
  }
  std::vector<std::string> bodies;
  bodies.reserve(run.plan.requests.size());
  for (const PlannedRequest& p : run.plan.requests) bodies.push_back(BuildRequestBody(p, body));
  const std::vector<Fault> faults = PlanFaults(bodies.size(), o.faults, o.plan.seed);
  const std::vector<std::string> malformed = MalformedBodies(run.model);
  for (size_t i = 0; i < bodies.size(); ++i) {
    if (faults[i].kind == FaultKind::kMalformed) bodies[i] = malformed[static_cast<size_t>(faults[i].malformed_variant)];
  }
  const SendFn send = [&](const PlannedRequest& p, SteadyClock::time_point origin) {
    const Fault& f = faults[static_cast<size_t>(p.id)];
    RequestRecord r = SendStreamingRequest(target, o.endpoint, bodies[static_cast<size_t>(p.id)], origin,
                                           o.time_limit_s, f.disconnect_after_chunks);
    if (f.kind == FaultKind::kMalformed && r.fault.empty()) r.fault = FaultLabel(f.kind);
    return r;
  };
  BenchProgress progress(o.log, o.redraw, static_cast<int64_t>(run.plan.requests.size()));
  OpenLoopResult result = RunOpenLoop(run.plan.requests, send, o.max_concurrency, &progress, o.time_limit_s);
  run.records = std::move(result.records);
  run.summary = Summarize(run.plan.requests, run.records, result.duration_s, o.goodput, run.slo);
  return run;
}

}  // namespace cacheopt::bench
