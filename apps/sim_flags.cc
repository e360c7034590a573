#include "sim_flags.h"

#include <algorithm>

#include "cacheopt/policy_registry.h"
#include "cacheopt/util/names.h"
#include "policy_flags.h"
#include "sim/cluster/router.h"
#include "sim/shared_dir.h"
#include "trace/prefix_workloads.h"
#include "trace/synthetic.h"

namespace cacheopt {

void AddSimFlags(CLI::App* app, SimFlags* f, bool with_rate, bool with_policy) {
  app->add_option("--trace", f->trace,
                  "Trace file (Azure CSV, Vidur CSV or JSONL; docs/trace-format.md). Default: the Azure "
                  "2023 conversation trace from ../shared, else a synthetic workload. Generated prefix-sharing "
                  "workloads: shared-prompts[:KNOBS] or multi-turn[:KNOBS] (docs/prefix-caching.md)");
  if (with_policy) app->add_option("--policy", f->policy, "Scheduling policy")->capture_default_str();
  app->add_option("--model", f->model, "Model (cost model and context)")->capture_default_str();
  app->add_option("--gpu", f->gpu, "Simulated GPU: a100-40g, a100-80g, h100-80g")->capture_default_str();
  app->add_option("--tp", f->tp, "Tensor-parallel degree")->capture_default_str();
  if (with_rate)
    app->add_option("--rate", f->rate,
                    "Mean arrival rate in requests/s (time-scales a timestamped trace; drives "
                    "Poisson/Gamma arrivals). Default for a timestamped trace: its recorded rate");
  app->add_option("--requests", f->requests, "Number of requests (rows); <=0 takes every row that fits")
      ->capture_default_str();
  app->add_option("--seed", f->seed, "Seed: picks the window of a timestamped trace, the row order and "
                                     "arrivals of a length-only one, and SLO classes")
      ->capture_default_str();
  app->add_option("--json", f->json_path, "Write the result as one JSON object to this file");
  app->add_option("--steps-log", f->steps_log, "Write one JSON line per engine step to this file");
  app->add_option("--block-size", f->block_size, "KV block size in tokens")->capture_default_str();
  app->add_option("--gpu-memory-utilization", f->gpu_memory_utilization,
                  "Fraction of GPU memory for weights, activations and KV")
      ->capture_default_str();
  app->add_option("--kv-device-blocks", f->kv_device_blocks, "Device KV blocks (overrides the computed pool)");
  auto* host_gib =
      app->add_option("--host-kv-gib", f->host_kv_gib, "Host (swap) tier size in GiB")->capture_default_str();
  app->add_option("--kv-host-blocks", f->kv_host_blocks, "Host (swap) KV blocks (overrides --host-kv-gib)")
      ->excludes(host_gib);
  app->add_option("--kv-cache-dtype", f->kv_cache_dtype,
                  "GPU KV cache element, as vLLM's flag: fp16, or fp8 (half the bytes per token)")
      ->capture_default_str();
  app->add_option("--cost-model", f->cost_model,
                  "A CPU cost profile from `cacheopt profile`: simulate this machine's real engine (the "
                  "context and KV size come from it; --model/--gpu/--tp are then unused)");
  app->add_option("--preemption-mode", f->preemption_mode,
                  "recompute|swap, for policies that offer both (vllm)")
      ->capture_default_str();
  app->add_option("--token-budget", f->token_budget, "Max tokens per step (policy default when unset)");
  app->add_option("--arrival", f->arrival, "replay|poisson|gamma (default: replay if the trace has "
                                           "timestamps, else poisson)");
  app->add_option("--arrival-cv", f->arrival_cv, "Coefficient of variation of Gamma inter-arrivals")
      ->capture_default_str();
  app->add_option("--max-tokens-cap", f->max_tokens_cap,
                  "Cap on each request's max_tokens (default: context minus prompt)");
  app->add_flag("--clip-prompts", f->clip_prompts,
                "Cut prompts over the context to fit instead of dropping their rows (long-prompt traces such as "
                "Mooncake's); counted");
  app->add_option("--slo-scale", f->slo_scale, "Multiplies every TTFT and TBT SLO")->capture_default_str();
  app->add_option("--set", f->set, "Policy knob KEY=VALUE (repeatable)");
  app->add_flag("--check-invariants", f->check_invariants, "Check block invariants after every step");
  app->add_option("--replicas", f->replicas,
                  "Simulate a cluster of this many replicas (each its own engine, policy and KV pools) behind "
                  "--router (docs/cluster-sim.md)")
      ->capture_default_str();
  app->add_option("--router", f->router,
                  "Cluster router: round-robin, least-requests, leastconn, inference-extension, precise-prefix, "
                  "with knobs as NAME:KEY=VALUE,... (default with --replicas > 1: round-robin)");
}

double RecordedRate(const Trace& trace) {
  if (!trace.has_timestamps || trace.rows.size() < 2) return 0;
  double span = trace.rows.back().arrival_s - trace.rows.front().arrival_s;
  return span > 0 ? static_cast<double>(trace.rows.size() - 1) / span : 0;
}

Result<std::unique_ptr<PreparedRun>> Prepare(const SimFlags& f) {
  auto run = std::make_unique<PreparedRun>();
  std::string shared = FindSharedDir();

  // Policy name first: the cheapest mistake to report.
  auto names = PolicyNames();
  if (std::find(names.begin(), names.end(), f.policy) == names.end())
    return UnknownName("policy", f.policy, names);

  SetupOptions so;
  so.model = f.model;
  so.gpu = f.gpu;
  so.tp = f.tp;
  so.gpu_memory_utilization = f.gpu_memory_utilization;
  so.block_size = f.block_size;
  so.kv_device_blocks = f.kv_device_blocks;
  so.host_kv_gib = f.host_kv_gib;
  so.kv_cache_dtype = f.kv_cache_dtype;
  so.kv_host_blocks = f.kv_host_blocks;
  so.cpu_cost_profile = f.cost_model;
  so.shared_dir = shared;
  auto setup = MakeSetup(so);
  if (!setup.ok()) return setup.status();
  run->setup = std::move(*setup);
  for (const auto& n : run->setup.notes) run->notes.push_back(n);

  // Trace.
  if (IsPrefixWorkloadSpec(f.trace)) {
    // A generated prefix-sharing trace, twice the requests asked (as the synthetic one).
    auto t = PrefixWorkloadTrace(f.trace, f.seed, std::max<int64_t>(2 * f.requests, 2000));
    if (!t.ok()) return t.status();
    run->trace = std::move(*t);
    run->notes.push_back("trace: " + run->trace.source);
  } else if (!f.trace.empty()) {
    auto t = ReadTrace(f.trace);
    if (!t.ok()) return t.status();
    run->trace = std::move(*t);
  } else if (std::string p = DefaultTracePath(shared); !p.empty()) {
    auto t = ReadTrace(p);
    if (!t.ok()) return t.status();
    run->trace = std::move(*t);
    run->notes.push_back("trace: " + p + " (default)");
  } else {
    run->trace = SyntheticTrace(f.seed, std::max<int64_t>(f.requests, 2000));
    run->notes.push_back(
        "trace: synthetic (../shared not found; put the shared folder beside the project, or set "
        "CACHEOPT_SHARED, to use the Azure 2023 conversation trace at "
        "shared/data/azure_llm_2023/AzureLLMInferenceTrace_conv.csv)");
  }

  // Workload.
  WorkloadOptions& w = run->workload;
  if (!f.arrival.empty()) {
    auto k = ParseArrivalKind(f.arrival);
    if (!k.ok()) return k.status();
    w.arrival = *k;
  }
  if (f.rate < 0) return Status::InvalidArgument("--rate must be positive, got " + std::to_string(f.rate));
  w.rate_rps = f.rate;
  if (w.rate_rps == 0) {
    bool replay = !w.arrival.has_value() || *w.arrival == ArrivalKind::kReplay;
    double recorded = RecordedRate(run->trace);
    if (!replay || recorded <= 0)
      return Status::InvalidArgument("--rate is required (and must be > 0) for " +
                                     std::string(run->trace.has_timestamps ? "poisson/gamma arrivals"
                                                                           : "a trace without timestamps"));
    w.rate_rps = recorded;
    run->notes.push_back("rate: the trace's recorded mean rate, " + std::to_string(recorded) + " req/s");
  }
  if (f.requests == 0) return Status::InvalidArgument("--requests must be non-zero (<0 takes every row)");
  w.num_requests = f.requests;
  w.seed = f.seed;
  w.arrival_cv = f.arrival_cv;
  if (f.arrival_cv <= 0) return Status::InvalidArgument("--arrival-cv must be positive");
  w.max_context = run->setup.sched.max_model_len;
  w.max_tokens_cap = f.max_tokens_cap;
  w.clip_prompts = f.clip_prompts;

  // Simulation.
  SimulationOptions& s = run->sim;
  s.policy = f.policy;
  s.sched = run->setup.sched;
  if (Status st = ApplyPolicyFlags(f.preemption_mode, f.set, &s.sched.preemption_mode, &s.sched.knobs); !st.ok())
    return st;
  if (f.token_budget < 0) return Status::InvalidArgument("--token-budget must be positive");
  s.sched.token_budget = f.token_budget;
  if (f.slo_scale <= 0) return Status::InvalidArgument("--slo-scale must be positive");
  s.slo.slo_scale = f.slo_scale;
  s.check_invariants = f.check_invariants;
  if (!f.router.empty() || f.replicas != 1) {
    s.cluster.router = f.router.empty() ? "round-robin" : f.router;
    s.cluster.replicas = f.replicas;
    s.cluster.seed = f.seed;
    if (f.router.empty()) run->notes.push_back("router: round-robin (the default with --replicas)");
    auto router = MakeRouter(s.cluster.router, f.replicas, f.seed);  // names a bad router or count now
    if (!router.ok()) return router.status();
  }
  // Build the policy once now so a bad knob fails before any run starts.
  SchedulerConfig check = s.sched;
  check.truth = [](int64_t) -> int32_t { return 1; };  // Simulate supplies the real one
  auto probe = MakeScheduler(f.policy, check, run->setup.cost.get());
  if (!probe.ok()) return probe.status();
  return run;
}

}  // namespace cacheopt
