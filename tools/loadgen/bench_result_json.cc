#include "loadgen/bench_result_json.h"

#include <cmath>
#include <fstream>

namespace cacheopt::bench {
namespace {

using json = nlohmann::json;

json Optional(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

void PutStats(json* j, const std::string& name, const MetricStats& s) {
  (*j)["mean_" + name + "_ms"] = s.mean_ms;
  (*j)["median_" + name + "_ms"] = s.median_ms;
  (*j)["std_" + name + "_ms"] = s.std_ms;
  (*j)["p95_" + name + "_ms"] = s.p95_ms;
  (*j)["p99_" + name + "_ms"] = s.p99_ms;
}

json RequestJson(size_t i, const PlannedRequest& p, const RequestRecord& r, const SloTargets& slo) {
  const std::optional<double> tbt = slo.Tbt(i, p.slo_class);
  json j = {
      {"id", p.id},
      {"scheduled_offset_s", p.send_offset_s},
      {"send_offset_s", r.send_s},
      {"prompt_tokens", p.prompt_tokens},
      {"output_tokens_target", p.eos_after},
      {"max_tokens", p.max_tokens},
      {"slo_class", SloClassName(p.slo_class)},
      {"ttft_slo_s", slo.Ttft(i, p.slo_class)},
      {"tbt_slo_s", tbt ? json(*tbt) : json(nullptr)},
      {"success", r.success},
      {"http_status", r.http_status},
      {"ttft_s", r.ttft_s},
      {"itls_s", r.itls_s},
      {"e2el_s", r.e2el_s},
      {"output_tokens", r.output_tokens},
      {"usage_reported", r.usage_reported},
      {"prompt_tokens_reported", r.prompt_tokens_reported >= 0 ? json(r.prompt_tokens_reported) : json(nullptr)},
      {"text_chunks", r.text_chunks},
      {"finish_reason", r.finish_reason},
      {"error", r.error},
  };
  return j;
}

}  // namespace

json BenchResultJson(const BenchRun& run) {
  const BenchOptions& o = run.options;
  const BenchSummary& s = run.summary;
  const ArrivalSpec& a = o.plan.arrival;
  json j;
  // The run's settings (vLLM's names where vLLM has them).
  j["date"] = run.date;
  j["backend"] = "openai";
  j["base_url"] = o.base_url;
  j["endpoint"] = o.endpoint;
  j["model_id"] = run.model;
  j["num_prompts"] = static_cast<int64_t>(run.plan.requests.size());
  j["request_rate"] = std::isinf(o.plan.rate_rps) ? json("inf") : json(o.plan.rate_rps);
  j["burstiness"] = 1.0 / (a.cv * a.cv);
  j["max_concurrency"] = o.max_concurrency > 0 ? json(o.max_concurrency) : json(nullptr);
  j["ignore_eos"] = o.plan.ignore_eos;
  j["seed"] = o.plan.seed;

  // vLLM's summary.
  j["duration"] = s.duration_s;
  j["completed"] = s.completed;
  j["failed"] = s.failed;
  j["total_input_tokens"] = s.total_input_tokens;
  j["total_output_tokens"] = s.total_output_tokens;
  j["request_throughput"] = s.request_throughput;
  j["request_goodput"] = Optional(s.request_goodput);
  j["output_throughput"] = s.output_throughput;
  j["total_token_throughput"] = s.total_token_throughput;
  PutStats(&j, "ttft", s.ttft);
  PutStats(&j, "tpot", s.tpot);
  PutStats(&j, "itl", s.itl);
  PutStats(&j, "e2el", s.e2el);
  if (!o.goodput.empty()) {
    json g = json::object();
    if (o.goodput.ttft_ms) g["ttft"] = *o.goodput.ttft_ms;
    if (o.goodput.tpot_ms) g["tpot"] = *o.goodput.tpot_ms;
    if (o.goodput.e2el_ms) g["e2el"] = *o.goodput.e2el_ms;
    j["goodput"] = g;
  }

  // How every request ended (ours).
  const Outcomes& oc = s.outcomes;
  json statuses = json::object();
  for (const auto& [status, n] : oc.by_status) statuses[std::to_string(status)] = n;
  j["cacheopt_outcomes"] = {{"completed", oc.completed},
                            {"server_errors", oc.server_errors},
                            {"hung_up", oc.hung_up},
                            {"malformed_refused", oc.malformed_refused},
                            {"malformed_other", oc.malformed_other},
                            {"time_limit", oc.time_limit},
                            {"no_answer", oc.no_answer},
                            {"lost", oc.lost},
                            {"by_status", statuses}};
  j["cacheopt_faults"] = {{"disconnect_fraction", o.faults.disconnect_fraction},
                          {"malformed_fraction", o.faults.malformed_fraction}};

  // vLLM's per-request arrays, in send order (failed: 0 / [] and the error).
  json input_lens = json::array(), output_lens = json::array(), ttfts = json::array(), itls = json::array(),
       errors = json::array();
  for (size_t i = 0; i < run.records.size(); ++i) {
    const RequestRecord& r = run.records[i];
    input_lens.push_back(InputTokens(run.plan.requests[i], r));
    output_lens.push_back(r.success ? r.output_tokens : 0);
    ttfts.push_back(r.success ? r.ttft_s : 0.0);
    itls.push_back(r.success ? json(r.itls_s) : json::array());
    errors.push_back(r.error);
  }
  j["input_lens"] = std::move(input_lens);
  j["output_lens"] = std::move(output_lens);
  j["ttfts"] = std::move(ttfts);
  j["itls"] = std::move(itls);
  j["errors"] = std::move(errors);

  // Ours.
  const SloAttainment& slo = s.slo;
  j["cacheopt_ttft_slo_attainment"] = slo.ttft;
  j["cacheopt_tbt_slo_attainment"] = Optional(slo.tbt_token);
  j["cacheopt_tbt_slo_attainment_request"] = Optional(slo.tbt_request);
  j["cacheopt_stall_slo_attainment"] = Optional(slo.tbt_stall);
  j["cacheopt_slo_attainment"] = Optional(slo.both);
  j["cacheopt_slo_goodput"] = Optional(slo.goodput_rps);
  j["cacheopt_slo_targets"] = run.slo.source;
  j["cacheopt_workload"] = {
      {"name", o.workload_name},
      {"description", run.plan.description},
      {"trace_rows", run.plan.trace_rows},
      {"dropped_over_context", run.plan.dropped_over_context},
      {"length_scale", o.plan.length_scale},
      {"max_context", run.max_context},
      {"max_context_source", run.context_source},
      {"arrival", a.kind == ArrivalKind::kPoisson ? "poisson" : "gamma"},
      {"arrival_cv", a.cv},
      {"prompt_token_range", json::array({o.plan.token_lo, o.plan.token_hi})},
  };
  if (run.probe) {
    const ProbeResult& p = *run.probe;
    j["cacheopt_probe"] = {{"ttft_s", p.record.ttft_s},
                           {"e2el_s", p.record.e2el_s},
                           {"output_tokens", p.record.output_tokens},
                           {"short_tokens", p.short_tokens},
                           {"long_tokens", p.long_tokens},
                           {"decode_step_ms", p.decode_step_ms ? json(*p.decode_step_ms) : json(nullptr)}};
  }
  json requests = json::array();
  for (size_t i = 0; i < run.records.size(); ++i)
    requests.push_back(RequestJson(i, run.plan.requests[i], run.records[i], run.slo));
  j["requests"] = std::move(requests);
  return j;
}

Status WriteBenchResult(const BenchRun& run, const std::string& path) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Status::IoError("cannot write --save-result " + path);
  f << BenchResultJson(run).dump(2, ' ', false, json::error_handler_t::replace) << "\n";
  f.close();
  if (!f) return Status::IoError("writing --save-result " + path + " failed");
  return Status::Ok();
}

}  // namespace cacheopt::bench
