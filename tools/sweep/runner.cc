#include "sweep/runner.h"

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <set>

#include "cacheopt/policy_registry.h"
#include "sim/setup.h"
#include "sim/simulator.h"
#include "sim/workload.h"
#include "sweep/ceilings.h"
#include "sweep/job_pool.h"
#include "sweep/plan.h"
#include "sweep/progress.h"
#include "sweep/trace_catalog.h"

namespace cacheopt::experiment {
namespace {

// What one setup (at one block size and pool size) needs to run.
struct Env {
  Setup setup;
  SimulationOptions sim;  // policy fields filled per run
};

struct SetupContext {
  const Trace* trace = nullptr;
  WorkloadOptions workload;  // rate and seed set per run
};

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

class Runner {
 public:
  Runner(const ExperimentConfig& c, const RunnerOptions& o) : c_(c), o_(o) {}

  Result<ExperimentResults> Run() {
    if (Status s = Prepare(); !s.ok()) return s;
    Plan plan = MakePlan(c_);
    if (Status s = Validate(plan); !s.ok()) return s;
    Execute(plan);
    return std::move(res_);
  }

 private:
  static std::string EnvKey(int setup, int32_t block_size, int64_t kv_blocks) {
    return std::to_string(setup) + "|" + std::to_string(block_size) + "|" + std::to_string(kv_blocks);
  }

  Result<Env*> GetEnv(int setup, int32_t block_size, int64_t kv_blocks) {
    const SetupSpec& spec = c_.setups[setup];
    int32_t bs = block_size > 0 ? block_size : spec.block_size;
    int64_t kv = kv_blocks > 0 ? kv_blocks : spec.kv_device_blocks;
    std::string key = EnvKey(setup, bs, kv);
    if (auto it = envs_.find(key); it != envs_.end()) return it->second.get();
    SetupOptions so;
    so.model = spec.model;
    so.gpu = spec.gpu;
    so.tp = spec.tp;
    so.gpu_memory_utilization = spec.gpu_memory_utilization;
    so.block_size = bs;
    so.kv_device_blocks = kv;
    so.host_kv_gib = spec.host_kv_gib;
    so.shared_dir = o_.shared_dir;
    auto made = MakeSetup(so);
    if (!made.ok())
      return Status::InvalidArgument(spec.where + " '" + spec.name + "': " + made.status().message());
    auto env = std::make_unique<Env>();
    env->setup = std::move(*made);
    env->sim.sched = env->setup.sched;
    env->sim.sched.preemption_mode =
        spec.preemption_mode == "swap" ? PreemptMode::kSwap : PreemptMode::kRecompute;
    env->sim.cluster.router = spec.router;
    env->sim.cluster.replicas = spec.replicas;
    Env* raw = env.get();
    envs_.emplace(key, std::move(env));
    return raw;
  }

  Status Prepare() {
    res_.config = &c_;
    res_.command = o_.command;
    res_.shared_dir = o_.shared_dir;
    // The synthetic trace must hold the largest N asked of it.
    int64_t synthetic_rows = 2000;
    for (const auto& s : c_.setups) synthetic_rows = std::max(synthetic_rows, 2 * s.requests);
    if (c_.scale.enabled)
      for (int64_t n : c_.scale.requests) synthetic_rows = std::max(synthetic_rows, 2 * n);
    for (size_t i = 0; i < c_.setups.size(); ++i) {
      const SetupSpec& spec = c_.setups[i];
      if (!traces_.count(spec.trace_path)) {
        auto t = LoadResolvedTrace(spec.trace_path, synthetic_rows);
        if (!t.ok()) return Status::InvalidArgument(spec.where + ".trace: " + t.status().message());
        traces_.emplace(spec.trace_path, std::make_unique<Trace>(std::move(*t)));
      }
      auto env = GetEnv(static_cast<int>(i), 0, -1);
      if (!env.ok()) return env.status();
      SetupContext ctx;
      ctx.trace = traces_.at(spec.trace_path).get();
      ctx.workload.arrival = spec.arrival;
      ctx.workload.arrival_cv = spec.arrival_cv;
      ctx.workload.num_requests = spec.requests;
      ctx.workload.max_context = (*env)->setup.sched.max_model_len;
      ctx.workload.max_tokens_cap = spec.max_tokens_cap;
      ctx.workload.clip_prompts = spec.over_context == "clip";
      // Build one workload now so that, e.g., replay of a length-only trace
      // fails before any run.
      WorkloadOptions probe = ctx.workload;
      probe.rate_rps = 1.0;
      probe.seed = c_.seeds.front();
      auto w = BuildWorkload(*ctx.trace, probe);
      if (!w.ok()) {
        std::string hint = spec.over_context == "drop" && w.status().message().find("no rows left") != std::string::npos
                               ? " (" + spec.where + ".over_context: \"clip\" cuts prompts to fit instead; allowed: drop, clip)"
                               : "";
        return Status::InvalidArgument(spec.where + " '" + spec.name + "': " + w.status().message() + hint);
      }
      ctxs_.push_back(ctx);

      SetupRecord rec;
      rec.spec = spec;
      const Setup& st = (*env)->setup;
      rec.device_blocks = st.sched.device_blocks;
      rec.host_blocks = st.sched.host_blocks;
      rec.block_size = st.sched.block_size;
      rec.kv_capacity_tokens = st.kv_capacity_tokens;
      rec.kv_bytes_per_token = st.cost->KvBytesPerToken();
      rec.notes = st.notes;
      rec.trace_source = ctx.trace->source;
      rec.trace_format = ctx.trace->format;
      rec.trace_timestamps = ctx.trace->has_timestamps;
      rec.rows_available = w->rows_available;
      rec.dropped_over_context = w->dropped_over_context;
      // Clipping is per request; counted over the whole trace, as the drop is.
      if (ctx.workload.clip_prompts) {
        for (const TraceRow& row : ctx.trace->rows)
          rec.clipped_to_context += int64_t{row.prompt_tokens} + row.output_tokens > ctx.workload.max_context;
      }
      res_.setups.push_back(std::move(rec));
    }
    return Status::Ok();
  }

  // Every (setup env, variant) pair that will run, built once.
  Status Validate(const Plan& plan) {
    std::set<std::string> checked;
    auto check = [&](int setup, const Variant& v, int64_t kv_blocks) -> Status {
      if (kv_blocks <= 0) kv_blocks = v.kv_device_blocks > 0 ? v.kv_device_blocks : -1;
      auto env = GetEnv(setup, v.block_size, kv_blocks);
      if (!env.ok()) return Status::InvalidArgument(v.where + ": " + env.status().message());
      std::string key = EnvKey(setup, v.block_size, kv_blocks) + "#" + v.Key();
      if (!checked.insert(key).second) return Status::Ok();
      SimulationOptions s = SimOptions(**env, v, 1.0);
      s.sched.truth = [](int64_t) -> int32_t { return 1; };  // as runs get it
      auto made = MakeScheduler(s.policy, s.sched, (*env)->setup.cost.get());
      if (!made.ok())
        return Status::InvalidArgument(v.where + " '" + v.label + "' (policy " + v.policy + ") on setup '" +
                                       c_.setups[setup].name + "': " + made.status().message());
      return Status::Ok();
    };
    // Every listed policy on every setup, used by an experiment or not.
    for (size_t s = 0; s < c_.setups.size(); ++s)
      for (const auto& v : c_.policies)
        if (Status st = check(static_cast<int>(s), v, -1); !st.ok()) return st;
    for (const auto& item : plan.capacities)
      if (Status s = check(item.setup, item.variant, -1); !s.ok()) return s;
    for (const auto& r : plan.runs)
      if (Status s = check(r.setup, r.variant, r.kv_device_blocks); !s.ok()) return s;
    return Status::Ok();
  }

  static SimulationOptions SimOptions(const Env& env, const Variant& v, double slo_scale) {
    SimulationOptions s = env.sim;
    s.policy = v.policy;
    s.sched.knobs = v.knobs;
    s.sched.token_budget = v.token_budget;
    s.slo.slo_scale = slo_scale;
    return s;
  }

  Result<SimulationResult> Simulate1(int setup, const Env& env, const Variant& v, double rate, uint64_t seed,
                                     double slo_scale, int64_t requests, Workload* out_workload = nullptr,
                                     double* wall_s = nullptr, double* cpu_s = nullptr) const {
    WorkloadOptions w = ctxs_[setup].workload;
    w.rate_rps = rate;
    w.seed = seed;
    w.num_requests = requests;
    auto built = BuildWorkload(*ctxs_[setup].trace, w);
    if (!built.ok()) return built.status();
    SimulationOptions s = SimOptions(env, v, slo_scale);
    // The true lengths, for the oracle estimators of the sensitivity study only
    // (CACHEOPT.md): policies hand `truth` to their estimator, and only
    // `oracle` and `noisy-oracle` read it.
    const Workload& wl = *built;
    s.sched.truth = [&wl](int64_t id) -> int32_t {
      return id >= 0 && id < static_cast<int64_t>(wl.requests.size()) ? wl.requests[id].output_tokens : 0;
    };
    auto t0 = std::chrono::steady_clock::now();
    double c0 = ThreadCpuSeconds();
    auto r = Simulate(*built, *env.setup.cost, s);
    if (cpu_s != nullptr) *cpu_s = ThreadCpuSeconds() - c0;
    if (wall_s != nullptr) *wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (out_workload != nullptr) *out_workload = std::move(*built);
    return r;
  }

  CapacityOptions CapOptions(CapacityDefinition d) const {
    CapacityOptions o;
    o.definition = d;
    o.seeds = static_cast<int>(c_.seeds.size());
    o.target = c_.capacity.target;
    o.lo_rps = c_.capacity.lo_rps;
    o.hi_rps = c_.capacity.hi_rps;
    o.rel_width = c_.capacity.rel_width;
    o.threads = 1;
    return o;
  }

  void RunCapacity(const CapacityPlanItem& item, CapacityRecord* rec) {
    auto env = GetEnvConst(item.setup, item.variant.block_size,
                           item.variant.kv_device_blocks > 0 ? item.variant.kv_device_blocks : -1);
    rec->device_blocks = env->sim.sched.device_blocks;
    const int64_t n = c_.setups[item.setup].requests;
    AttainmentMemo memo([&](double rate, uint64_t seed) -> Result<SeedAttainment> {
      auto r = Simulate1(item.setup, *env, item.variant, rate, seed, c_.setups[item.setup].slo_scale, n);
      if (!r.ok()) return r.status();
      return SeedAttainment{r->summary.ttft_attainment, r->summary.tbt_attainment, r->summary.stall_attainment};
    });
    for (CapacityDefinition d : rec->definitions) {
      auto e = EstimateCapacity(memo, c_.seeds, CapOptions(d));
      if (!e.ok()) {
        rec->status = e.status();
        rec->estimates.clear();
        break;
      }
      rec->estimates.push_back(std::move(*e));
    }
    rec->simulations = memo.simulations();
  }

  // The capacity a run's multiple multiplies (seed mean, req/s); 0 with a
  // reason when there is none.
  double BaseRate(const RunSpec& spec, std::string* why) const {
    auto mean = [&](const Variant& v, CapacityDefinition d) -> double {
      const double x = MeanCapacityRps(res_, spec.setup, v, d);
      return std::isnan(x) ? -1 : x;  // -1: no search result, 0: below the range
    };
    double base = 0;
    switch (spec.basis) {
      case RateBasis::kReference:
        base = mean(*c_.FindPolicy(c_.reference), CapacityDefinition::kToken);
        *why = base < 0 ? "the reference capacity search failed"
                        : c_.reference + " meets the SLOs at no rate in the search range";
        break;
      case RateBasis::kOwnStall:
        base = mean(spec.variant, CapacityDefinition::kStall);
        *why = spec.variant.label + "'s stall-aware capacity is " + (base < 0 ? "missing" : "below the search range");
        break;
      case RateBasis::kBestBaseline:
        for (const auto& label : c_.capacity.policies)
          if (IsBaseline(*c_.FindPolicy(label)))
            base = std::max(base, mean(*c_.FindPolicy(label), CapacityDefinition::kStall));
        *why = "no baseline has a stall-aware capacity in the search range";
        break;
    }
    return std::max(0.0, base);
  }

  void RunOne(RunRecord* rec) {
    const RunSpec& spec = rec->spec;
    std::string why;
    const double base = BaseRate(spec, &why);
    if (base <= 0) {
      rec->skipped = true;
      rec->status = Status::OutOfRange("skipped: " + why);
      return;
    }
    rec->rate_rps = spec.multiple * base;
    const Env* env = GetEnvConst(spec.setup, spec.variant.block_size,
                                 spec.kv_device_blocks > 0 ? spec.kv_device_blocks : spec.variant.kv_device_blocks);
    rec->device_blocks = env->sim.sched.device_blocks;
    rec->block_size = env->sim.sched.block_size;
    Workload w;
    auto r = Simulate1(spec.setup, *env, spec.variant, rec->rate_rps, spec.seed,
                       spec.slo_scale * c_.setups[spec.setup].slo_scale, spec.requests, &w,
                       &rec->wall_s, &rec->cpu_s);
    if (!r.ok()) {
      rec->status = r.status();
      return;
    }
    rec->sim = std::move(*r);
    rec->workload_requests = static_cast<int64_t>(w.requests.size());
    rec->workload_description = w.description;
    if (!spec.timed) rec->wall_s = rec->cpu_s = 0;  // keep results deterministic
  }

  // Envs are all built by Validate; lookups from worker threads only read.
  const Env* GetEnvConst(int setup, int32_t block_size, int64_t kv_blocks) const {
    const SetupSpec& spec = c_.setups[setup];
    int32_t bs = block_size > 0 ? block_size : spec.block_size;
    int64_t kv = kv_blocks > 0 ? kv_blocks : spec.kv_device_blocks;
    return envs_.at(EnvKey(setup, bs, kv)).get();
  }

  static std::string Mult(double m) { return ShortNumber(m) + "x"; }

  void Execute(const Plan& plan) {
    res_.capacity_index = plan.capacity_index;
    res_.run_index = plan.run_index;
    res_.capacities.resize(plan.capacities.size());
    res_.runs.resize(plan.runs.size());
    JobPool pool;
    std::vector<size_t> ref_job(c_.setups.size());
    std::vector<size_t> cap_job(plan.capacities.size());
    for (size_t i = 0; i < plan.capacities.size(); ++i) {
      const CapacityPlanItem& item = plan.capacities[i];
      CapacityRecord& rec = res_.capacities[i];
      rec.setup = item.setup;
      rec.variant = item.variant;
      rec.sections = item.sections;
      rec.definitions = c_.capacity.definitions;
      if (i < c_.setups.size() &&
          std::find(rec.definitions.begin(), rec.definitions.end(), CapacityDefinition::kToken) ==
              rec.definitions.end())
        rec.definitions.insert(rec.definitions.begin(), CapacityDefinition::kToken);
      double weight = static_cast<double>(c_.seeds.size() * rec.definitions.size()) *
                      static_cast<double>(c_.setups[item.setup].requests) / 1000.0;
      size_t job = pool.Add(c_.setups[item.setup].name + " " + item.variant.label + " capacity", 0, weight, {},
                            [this, &item, &rec] { RunCapacity(item, &rec); });
      cap_job[i] = job;
      if (i < c_.setups.size()) ref_job[i] = job;
    }
    for (size_t i = 0; i < plan.runs.size(); ++i) {
      const RunSpec& spec = plan.runs[i];
      RunRecord& rec = res_.runs[i];
      rec.spec = spec;
      std::string label = c_.setups[spec.setup].name + " " + spec.variant.label + " " + Mult(spec.multiple) +
                          (spec.basis == RateBasis::kOwnStall       ? " own capacity"
                           : spec.basis == RateBasis::kBestBaseline ? " best baseline's capacity"
                                                                    : "") +
                          (spec.slo_scale != 1 ? " slo-scale " + ShortNumber(spec.slo_scale) : "") +
                          (spec.timed ? " n=" + std::to_string(spec.requests) : "") + " seed " +
                          std::to_string(spec.seed);
      std::vector<size_t> deps = {ref_job[spec.setup]};
      auto dep_on = [&](const Variant& v) {
        auto it = plan.capacity_index.find(CapacityKey(spec.setup, v));
        if (it != plan.capacity_index.end()) deps.push_back(cap_job[it->second]);
      };
      if (spec.basis == RateBasis::kOwnStall) dep_on(spec.variant);
      if (spec.basis == RateBasis::kBestBaseline)
        for (const auto& l : c_.capacity.policies)
          if (IsBaseline(*c_.FindPolicy(l))) dep_on(*c_.FindPolicy(l));
      pool.Add(label, 1, static_cast<double>(spec.requests) / 1000.0, deps,
               [this, &rec] { RunOne(&rec); }, spec.timed);
    }
    for (size_t s = 0; s < c_.setups.size(); ++s) res_.setups[s].reference_capacity = static_cast<int>(s);
    ProgressLine progress(o_.progress, o_.progress_redraw, pool.size(), pool.total_weights(), o_.threads);
    pool.Run(o_.threads, &progress);
    progress.Close();
    for (size_t s = 0; s < c_.setups.size(); ++s) {
      const CapacityEstimate* e = res_.capacities[s].Find(CapacityDefinition::kToken);
      res_.setups[s].reference_rps = e != nullptr ? e->mean.max_rate_rps : 0;
    }
  }

  const ExperimentConfig& c_;
  const RunnerOptions& o_;
  ExperimentResults res_;
  std::map<std::string, std::unique_ptr<Trace>> traces_;
  std::vector<SetupContext> ctxs_;
  std::map<std::string, std::unique_ptr<Env>> envs_;
};

}  // namespace

Result<ExperimentResults> RunExperiment(const ExperimentConfig& config, const RunnerOptions& opts) {
  Runner r(config, opts);
  return r.Run();
}

}  // namespace cacheopt::experiment
