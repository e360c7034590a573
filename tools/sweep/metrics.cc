#include "sweep/metrics.h"

#include <algorithm>
#include <cmath>

namespace cacheopt::experiment {

const std::vector<MetricDef>& RunMetrics() {
  using R = const RunRecord&;
  static const std::vector<MetricDef> kMetrics = {
      {"p50_ttft_ms", false, [](R r) { return r.sim.summary.p50_ttft_ms; }},
      {"p95_ttft_ms", false, [](R r) { return r.sim.summary.p95_ttft_ms; }},
      {"p99_ttft_ms", false, [](R r) { return r.sim.summary.p99_ttft_ms; }},
      {"mean_ttft_ms", false, [](R r) { return r.sim.summary.mean_ttft_ms; }},
      {"p50_tbt_ms", false, [](R r) { return r.sim.summary.p50_tbt_ms; }},
      {"p95_tbt_ms", false, [](R r) { return r.sim.summary.p95_tbt_ms; }},
      {"p99_tbt_ms", false, [](R r) { return r.sim.summary.p99_tbt_ms; }},
      {"mean_tbt_ms", false, [](R r) { return r.sim.summary.mean_tbt_ms; }},
      {"mean_tpot_ms", false, [](R r) { return r.sim.summary.mean_tpot_ms; }},
      {"p99_tpot_ms", false, [](R r) { return r.sim.summary.p99_tpot_ms; }},
      {"p99_longest_stall_ms", false, [](R r) { return r.sim.summary.p99_longest_stall_ms; }},
      {"p50_e2e_ms", false, [](R r) { return r.sim.summary.p50_e2e_ms; }},
      {"p99_e2e_ms", false, [](R r) { return r.sim.summary.p99_e2e_ms; }},
      {"mean_e2e_ms", false, [](R r) { return r.sim.summary.mean_e2e_ms; }},
      {"normalized_latency_ms", false, [](R r) { return r.sim.summary.normalized_latency_ms; }},
      {"ttft_attainment", false, [](R r) { return r.sim.summary.ttft_attainment; }},
      {"tbt_attainment", false, [](R r) { return r.sim.summary.tbt_attainment; }},
      {"tbt_attainment_request", false, [](R r) { return r.sim.summary.tbt_attainment_request; }},
      {"stall_attainment", false, [](R r) { return r.sim.summary.stall_attainment; }},
      {"slo_goodput_rps", false, [](R r) { return r.sim.summary.slo_goodput_rps; }},
      {"throughput_tok_s", false, [](R r) { return r.sim.summary.throughput_tok_s; }},
      {"request_throughput_rps", false, [](R r) { return r.sim.summary.request_throughput_rps; }},
      {"duration_s", false, [](R r) { return r.sim.summary.duration_s; }},
      {"output_tokens", true, [](R r) { return static_cast<double>(r.sim.summary.output_tokens); }},
      {"preemptions_recompute", true, [](R r) { return static_cast<double>(r.sim.summary.preemptions_recompute); }},
      {"preemptions_swap", true, [](R r) { return static_cast<double>(r.sim.summary.preemptions_swap); }},
      {"recomputed_tokens", true, [](R r) { return static_cast<double>(r.sim.summary.recomputed_tokens); }},
      {"swapped_blocks", true, [](R r) { return static_cast<double>(r.sim.summary.swapped_blocks); }},
      {"swapped_bytes", true, [](R r) { return static_cast<double>(r.sim.summary.swapped_bytes); }},
      {"max_preemptions_per_request", true,
       [](R r) { return static_cast<double>(r.sim.summary.max_preemptions_per_request); }},
      {"requests_finished", true, [](R r) { return static_cast<double>(r.sim.summary.requests_finished); }},
      {"requests_rejected", true, [](R r) { return static_cast<double>(r.sim.summary.requests_rejected); }},
      {"requests_dropped", true, [](R r) { return static_cast<double>(r.sim.summary.requests_dropped); }},
      {"steps", true, [](R r) { return static_cast<double>(r.sim.steps); }},
      {"simulated_s", false, [](R r) { return r.sim.simulated_s; }},
      {"peak_kv_use", false, [](R r) { return r.sim.peak_kv_use; }},
      // Derived.
      {"slo_attainment", false,
       [](R r) {
         // Requests meeting TTFT and stall-aware TBT (both), over all requests.
         return r.workload_requests > 0
                    ? std::round(r.sim.summary.slo_goodput_rps * r.sim.summary.duration_s) /
                          static_cast<double>(r.workload_requests)
                    : 0;
       }},
      {"preemptions_per_1000", false, [](R r) { return r.PreemptionsPer1000(); }},
      {"recompute_preemptions_per_1000", false,
       [](R r) {
         return r.workload_requests > 0 ? 1000.0 * static_cast<double>(r.sim.summary.preemptions_recompute) /
                                              static_cast<double>(r.workload_requests)
                                        : 0;
       }},
      {"swap_preemptions_per_1000", false,
       [](R r) {
         return r.workload_requests > 0 ? 1000.0 * static_cast<double>(r.sim.summary.preemptions_swap) /
                                              static_cast<double>(r.workload_requests)
                                        : 0;
       }},
  };
  return kMetrics;
}

const MetricDef* FindMetric(const std::string& name) {
  for (const auto& m : RunMetrics())
    if (name == m.name) return &m;
  return nullptr;
}

RunSpec SpecFor(const ExperimentConfig& c, int setup, const Variant& v, double multiple, double slo_scale,
                RateBasis basis) {
  RunSpec r;
  r.basis = basis;
  r.setup = setup;
  r.variant = v;
  r.multiple = multiple;
  r.slo_scale = slo_scale;
  r.requests = c.setups[setup].requests;
  return r;
}

SeedStat OverSeeds(const ExperimentResults& r, RunSpec spec, const std::function<double(const RunRecord&)>& metric) {
  SeedStat s;
  s.mean = s.min = s.max = NAN;
  double sum = 0;
  for (uint64_t seed : r.config->seeds) {
    spec.seed = seed;
    const RunRecord* run = r.FindRun(spec);
    if (run == nullptr || !run->ok()) continue;
    double v = metric(*run);
    if (s.n == 0) {
      s.min = s.max = v;
      s.rate_rps = run->rate_rps;
    }
    s.min = std::min(s.min, v);
    s.max = std::max(s.max, v);
    sum += v;
    ++s.n;
  }
  if (s.n > 0) s.mean = sum / s.n;
  return s;
}

KvPressure ComputeKvPressure(const ExperimentResults& r, int setup) {
  KvPressure k;
  const ExperimentConfig& c = *r.config;
  k.reference_rps = r.setups[setup].reference_rps;
  const Variant& ref = *c.FindPolicy(c.reference);
  k.known = k.reference_rps > 0;
  for (int i = 0; i < 2; ++i) {
    RunSpec spec = SpecFor(c, setup, ref, kPressureMultiples[i]);
    k.peak_kv_use[i] = OverSeeds(r, spec, [](const RunRecord& x) { return x.sim.peak_kv_use; });
    k.preemptions_per_1000[i] = OverSeeds(r, spec, [](const RunRecord& x) { return x.PreemptionsPer1000(); });
    k.known = k.known && k.peak_kv_use[i].n > 0;
  }
  k.contended = k.known && k.preemptions_per_1000[1].mean >= kContendedPreemptions;
  return k;
}

}  // namespace cacheopt::experiment
