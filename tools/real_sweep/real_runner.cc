#include "real_sweep/real_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "cacheopt/util/short_number.h"
#include "calibration/cpu_cost_profile.h"
#include "calibration/profile_match.h"
#include "calibration/speed_check.h"
#include "loadgen/bench_result_json.h"
#include "loadgen/request_plan.h"
#include "loadgen/runner.h"
#include "real_sweep/child_process.h"
#include "real_sweep/prometheus_sample.h"
#include "real_sweep/server_process.h"
#include "sim/capacity.h"
#include "sim/setup.h"
#include "sim/simulator.h"
#include "sim/steps_log.h"
#include "sim/workload.h"
#include "sweep/trace_catalog.h"

namespace cacheopt::realexp {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

class Runner {
 public:
  Runner(const RealExperimentConfig& c, const RealRunnerOptions& o) : c_(c), o_(o) {}

  Result<RealResults> Run() {
    const auto start = Clock::now();
    std::error_code ec;
    fs::create_directories(fs::path(o_.out_dir) / "runs", ec);
    fs::create_directories(fs::path(o_.out_dir) / "logs", ec);
    if (ec) return Status::IoError("cannot create " + o_.out_dir + ": " + ec.message());
    RealSetup& s = results_.setup;
    s.server_cpus = c_.server_cpus;
    s.client_cpus = c_.client_cpus;
    s.server_threads = c_.server_threads;
    PlaceProcesses();
    if (Status st = MakeModel(); !st.ok()) return st;
    if (Status st = Profile(); !st.ok()) return st;
    if (Status st = LoadWorkloadTrace(); !st.ok()) return st;
    if (Status st = SizeDeviceTier(); !st.ok()) return st;
    if (Status st = RefitOnServingSteps(); !st.ok()) return st;
    if (Status st = MeasureSoloSteps(); !st.ok()) return st;
    for (double m : c_.load_multiples) {
      for (uint64_t seed : c_.RunSeeds()) {
        for (const std::string& p : c_.policies) {
          results_.runs.push_back(RunOne(p, m, seed));
          results_.wall_s = Since(start);
          if (o_.on_run) o_.on_run(results_);
        }
      }
    }
    for (const std::string& p : c_.capacity_search.policies) {
      results_.capacities.push_back(SearchCapacity(p));
      results_.wall_s = Since(start);
      if (o_.on_run) o_.on_run(results_);
    }
    results_.wall_s = Since(start);
    return results_;
  }


 private:
  RealResults results_;

  void Log(const std::string& line) {
    if (o_.log != nullptr) *o_.log << line << std::endl;
  }
  std::string Out(const std::string& name) const { return (fs::path(o_.out_dir) / name).string(); }

  // The server and the client on separate CPUs when the machine allows.
  void PlaceProcesses() {
    const std::vector<int> allowed = AllowedCpus();
    auto usable = [&](const std::vector<int>& cpus) {
      return !cpus.empty() && std::all_of(cpus.begin(), cpus.end(), [&](int c) {
        return std::find(allowed.begin(), allowed.end(), c) != allowed.end();
      });
    };
    RealSetup& s = results_.setup;
    if (!usable(c_.server_cpus) || !usable(c_.client_cpus)) {
      s.notes.push_back("CPUs " + std::to_string(allowed.size()) +
                        " allowed here, not the configured ones: server and client are not pinned");
      s.server_cpus.clear();
      s.client_cpus.clear();
      return;
    }
    Status st = PinThisProcess(c_.client_cpus);
    if (!st.ok()) {
      s.notes.push_back("client not pinned: " + st.message());
      s.client_cpus.clear();
    }
  }

  Status RunChild(const std::vector<std::string>& args, const std::string& log, double timeout_s) {
    ChildOptions co;
    co.args = args;
    co.cpus = results_.setup.server_cpus;
    co.log_path = log;
    auto child = ChildProcess::Start(co);
    if (!child.ok()) return child.status();
    if (!child->Wait(timeout_s)) {
      child->Stop(1);
      return Status::IoError("cacheopt " + args[0] + " did not finish in " + ShortNumber(timeout_s, 3) + " s; see " + log);
    }
    if (child->exit_code() != 0)
      return Status::IoError("cacheopt " + args[0] + " failed (exit " + std::to_string(child->exit_code()) +
                             "); its log " + log + " ends:\n" + FileTail(log));
    return Status::Ok();
  }

  Status MakeModel() {
    RealSetup& s = results_.setup;
    if (!c_.model_path.empty()) {
      s.model_path = c_.model_path;
      return Status::Ok();
    }
    s.model_path = Out("model-" + c_.model_generate + ".bin");
    Log("model: generating " + c_.model_generate + " (seed " + std::to_string(c_.model_seed) + ") -> " + s.model_path);
    return RunChild({"make-model", "--config", c_.model_generate, "--seed", std::to_string(c_.model_seed), "--out",
                     s.model_path},
                    Out("logs/make-model.log"), 600);
  }

  Status Profile() {
    RealSetup& s = results_.setup;
    const ProfileIdentity here{ThisMachineName(), c_.server_threads, fs::path(s.model_path).stem().string()};
    std::error_code ec;
    if (!o_.profile_path.empty() && fs::exists(o_.profile_path, ec)) {
      // One profile per machine: loads, device tier and SLO targets stay put.
      s.profile_path = o_.profile_path;
      Log("profile: reusing " + s.profile_path);
    } else {
      s.profile_path = Out("profile.json");
      Log("profile: timing the engine on the server's CPUs (" + std::to_string(c_.server_threads) + " threads)");
      profile_fresh_ = true;
      Status st = RunChild({"profile", "--model", s.model_path, "--threads", std::to_string(c_.server_threads),
                            "--max-seconds", ShortNumber(c_.profile_max_seconds, 6), "--out", s.profile_path},
                           Out("logs/profile.log"), c_.profile_max_seconds * 4 + 120);
      if (!st.ok()) return st;
      if (!o_.profile_path.empty()) {
        fs::copy_file(s.profile_path, o_.profile_path, fs::copy_options::overwrite_existing, ec);
        if (ec) return Status::IoError("cannot save the profile to " + o_.profile_path + ": " + ec.message());
        s.profile_path = o_.profile_path;
        Log("profile: saved to " + s.profile_path + " for the next runs");
      }
    }
    auto p = ReadCpuCostProfile(s.profile_path);
    if (!p.ok()) return p.status();
    if (Status st = CheckProfileMatches(*p, s.profile_path, here); !st.ok()) return st;
    s.model_name = p->model_name;
    s.machine = p->machine;
    s.context = p->context;
    s.kv_bytes_per_token = p->kv_bytes_per_token;
    s.profile_fit = FitLine(*p);
    // Until a warm-up's refit replaces the profile, runs are checked against
    // its own steps, timed alone as a check's are.
    speed_then_ = *p;
    if (c_.speed_check) s.speed_reference = s.profile_path;
    Log("profile: " + s.profile_fit);
    return Status::Ok();
  }

  static std::string FitLine(const CpuCostProfile& p) {
    const auto& k = p.coeffs;
    return "step = " + ShortNumber(k[0] * 1e3, 3) + " ms + " + ShortNumber(k[1] * 1e6, 3) + " us/token + " +
           ShortNumber(k[2] * 1e9, 3) + " ns/attention pair + " + ShortNumber(k[3] * 1e6, 3) + " us/sequence + " +
           ShortNumber(k[4] * 1e9, 3) + " ns/KV token read; copies " + ShortNumber(p.copy_bytes_per_s / 1e9, 3) +
           " GB/s";
  }

  // The profile the simulator predicts with: refitted on serving steps when
  // there was a warm-up, the idle one otherwise.
  const std::string& SimProfilePath() const {
    const RealSetup& s = results_.setup;
    return s.serving_profile_path.empty() ? s.profile_path : s.serving_profile_path;
  }

  // A refit saved beside --profile is reused, unless the profile itself was
  // measured in this run (then a sidecar left from an older one is stale).
  bool NeedsRefit(const std::string& sidecar) const {
    std::error_code ec;
    return o_.profile_path.empty() || profile_fresh_ || !fs::exists(sidecar, ec);
  }

  // A sidecar of --profile (<name><suffix>.json), reused with it; in --out
  // without --profile.
  std::string Sidecar(const std::string& suffix, const std::string& out_name) const {
    return o_.profile_path.empty() ? Out(out_name)
                                   : fs::path(o_.profile_path).replace_extension(suffix + ".json").string();
  }

  // The server every run starts: this setup's model, tiers and threads,
  // and the same cost model the simulator uses.
  ServerSpec SpecFor(const std::string& policy, const std::string& log_path) const {
    const RealSetup& s = results_.setup;
    ServerSpec spec;
    spec.model_path = s.model_path;
    spec.policy = policy;
    spec.device_blocks = s.device_blocks;
    spec.host_blocks = s.host_blocks;
    spec.threads = c_.server_threads;
    spec.cpus = s.server_cpus;
    spec.max_concurrency = c_.max_concurrency;
    spec.max_queue = c_.max_queue;
    spec.log_path = log_path;
    spec.cost_profile = s.profile_path;
    return spec;
  }

  // Starts a server for `policy` with its steps logged to logs/<name>.steps.jsonl,
  // runs the client with `bo` (base_url filled in), stops the server, and
  // returns the logged steps.
  Result<std::vector<StepRecord>> ServeLogged(const std::string& name, const std::string& policy,
                                              bench::BenchOptions bo) {
    ServerSpec spec = SpecFor(policy, Out("logs/" + name + ".log"));
    spec.steps_log = Out("logs/" + name + ".steps.jsonl");
    std::error_code ec;
    fs::remove(spec.steps_log, ec);
    auto server = ServerUnderTest::Start(spec, 180);
    if (!server.ok()) return server.status();
    bo.base_url = server->base_url();
    auto bench = bench::RunBenchmark(scaled_, bo);
    server->Stop(30);
    if (!bench.ok()) return bench.status();
    return ReadRealStepsLog(spec.steps_log);
  }

  // Writes `base` refitted on `steps` (RefitProfile, against one engine-loop
  // iteration unless `target` says otherwise) to `path`.
  static Status WriteRefit(const std::string& base_path, const std::vector<StepRecord>& steps,
                           const std::string& path, ReplayTarget target = ReplayTarget::kLoop) {
    auto base = ReadCpuCostProfile(base_path);
    if (!base.ok()) return base.status();
    return WriteCpuCostProfile(RefitProfile(*base, steps, target), path);
  }

  // A saved refit must come from this machine, thread count and model too.
  Result<CpuCostProfile> ReadMatching(const std::string& path) const {
    auto p = ReadCpuCostProfile(path);
    if (!p.ok()) return p.status();
    const ProfileIdentity here{ThisMachineName(), c_.server_threads,
                               fs::path(results_.setup.model_path).stem().string()};
    if (Status st = CheckProfileMatches(*p, path, here); !st.ok()) return st;
    return p;
  }

  // The cost model of the server as it runs (issue 19): the reference policy
  // serves a warm-up at warmup.multiple x the reference rate, on a seed of
  // its own, with its steps logged; the profile refitted on them (per-step
  // fixed cost, sampling and the engine loop's time land in the
  // coefficients) is what the simulator predicts with from here on, and the
  // reference rate and the device tier are sized again with it. The
  // simulated policy predicts as the server's does after its online refit:
  // the same steps fitted against the executor's compute time, with their
  // p95 overrun (OnlineModelAfter). Saved beside --profile
  // (<name>.serving.json, <name>.serving-compute.json) and reused with it.
  Status RefitOnServingSteps() {
    RealSetup& s = results_.setup;
    if (c_.warmup.multiple <= 0) return Status::Ok();
    const std::string path = Sidecar(".serving", "serving-profile.json");
    const std::string compute_path = Sidecar(".serving-compute", "serving-compute-profile.json");
    const std::string speed_path = Sidecar(".serving-speed", "serving-speed.json");
    if (NeedsRefit(path) || NeedsRefit(compute_path) || (c_.speed_check && NeedsRefit(speed_path))) {
      // A check left from an older refit times other shapes: never reused.
      std::error_code gone;
      fs::remove(speed_path, gone);
      bench::BenchOptions bo;
      bo.plan.length_scale = 1;
      bo.plan.num_requests = c_.warmup.requests > 0 ? c_.warmup.requests : c_.requests;
      bo.plan.seed = c_.warmup.seed;
      bo.plan.rate_rps = c_.warmup.multiple * s.reference_rps;
      bo.plan.arrival.kind = c_.arrival == "gamma" ? ArrivalKind::kGamma : ArrivalKind::kPoisson;
      bo.plan.arrival.cv = c_.arrival == "gamma" ? c_.arrival_cv : 1.0;
      bo.time_limit_s = c_.time_limit_s;
      bo.slo.cost_model = s.profile_path;
      bo.workload_name = c_.trace;
      Log("warm-up: " + c_.reference_policy + " at " + ShortNumber(bo.plan.rate_rps, 3) + " req/s (x" +
          ShortNumber(c_.warmup.multiple, 3) + "), seed " + std::to_string(c_.warmup.seed));
      auto steps = ServeLogged("warmup", c_.reference_policy, bo);
      if (!steps.ok()) return steps.status();
      if (steps->size() < 8)
        return Status::InvalidArgument("warm-up: " + std::to_string(steps->size()) +
                                       " steps logged, too few to refit the cost model on");
      s.warmup_steps = static_cast<int64_t>(steps->size());
      if (Status st = WriteRefit(s.profile_path, *steps, path); !st.ok()) return st;
      if (Status st = WriteRefit(s.profile_path, *steps, compute_path, ReplayTarget::kCompute); !st.ok()) return st;
      // The machine's speed as the warm-up ends, on the refit's own shapes:
      // every run scales the refit by its check's time against this one.
      if (c_.speed_check) {
        if (Status st = TimeSpeedCheck(speed_path, path); !st.ok()) return st;
      }
    } else {
      Log("serving refit: reusing " + path + " and " + compute_path);
    }
    auto serving = ReadMatching(path);
    if (!serving.ok()) return serving.status();
    auto compute = ReadMatching(compute_path);
    if (!compute.ok()) return compute.status();
    if (c_.speed_check) {
      auto then = ReadMatching(speed_path);
      if (!then.ok()) return then.status();
      speed_then_ = *then;
      s.speed_reference = speed_path;
      Log("speed: runs are checked against " + speed_path);
    }
    compute_profile_ = *compute;
    policy_model_ = OnlineModelAfter(*compute);
    s.policy_fit = FitLine(*compute) + "; p95 overrun " + ShortNumber(policy_model_->OverrunRatioP95(), 3);
    Log("policy model: " + s.policy_fit + " (" + compute_path + ")");
    s.serving_profile_path = path;
    s.serving_fit = FitLine(*serving);
    s.idle_reference_rps = s.reference_rps;
    Log("serving refit: " + s.serving_fit + " (" + path + ")");
    return SizeDeviceTier();
  }

  Status LoadWorkloadTrace() {
    auto path = experiment::ResolveTracePath(c_.trace, o_.shared_dir);
    if (!path.ok() && o_.shared_dir.empty()) {
      // Without ../shared the experiment still runs, on the synthetic trace.
      results_.setup.notes.push_back("trace " + c_.trace +
                                     " not found (no ../shared beside the project): the synthetic trace instead");
      path = std::string(experiment::kSyntheticTrace);
    }
    if (!path.ok()) return path.status();
    auto trace = experiment::LoadResolvedTrace(*path, 4000);
    if (!trace.ok()) return trace.status();
    scaled_ = bench::ScaleTraceLengths(*trace, c_.length_scale);
    return Status::Ok();
  }

  WorkloadOptions Workload(double rate, uint64_t seed) const {
    WorkloadOptions w;
    w.arrival = c_.arrival == "gamma" ? ArrivalKind::kGamma : ArrivalKind::kPoisson;
    w.arrival_cv = c_.arrival_cv;
    w.rate_rps = rate;
    w.num_requests = c_.requests;
    w.seed = seed;
    w.max_context = results_.setup.context;
    return w;
  }

  // `profile`: the simulator's cost profile; empty: SimProfilePath().
  Result<Setup> SimSetup(int32_t device_blocks, int32_t host_blocks, const std::string& profile = "") const {
    SetupOptions so;
    so.cpu_cost_profile = profile.empty() ? SimProfilePath() : profile;
    so.kv_device_blocks = device_blocks;
    so.kv_host_blocks = host_blocks;
    return MakeSetup(so);
  }

  // `policy_model`: the simulated policy's; null: policy_model_.
  SimulationOptions SimOptions(const Setup& setup, const std::string& policy,
                               const CostModel* policy_model = nullptr) const {
    SimulationOptions so;
    so.policy = policy;
    so.sched = setup.sched;
    so.slo_cost = slo_model_.get();  // null until the solo steps are measured
    // Null without the warm-up: the clock.
    so.policy_cost = policy_model != nullptr ? policy_model : policy_model_.get();
    return so;
  }

  // `profile --shapes-of base` on the server's CPUs, written to `path`.
  Status TimeSpeedCheck(const std::string& path, const std::string& base) {
    const RealSetup& s = results_.setup;
    return RunChild({"profile", "--model", s.model_path, "--threads", std::to_string(c_.server_threads),
                     "--shapes-of", base, "--reps", "9", "--max-seconds", "30", "--out", path},
                    path + ".log", 180);
  }

  // The machine's speed now against speed_then_: a check of the simulator's
  // model's shapes timed into logs/<file>; absent without the speed check or
  // when it fails (logged).
  std::optional<double> CheckSpeed(const std::string& file) {
    if (!c_.speed_check || results_.setup.speed_reference.empty()) return std::nullopt;
    const std::string check = Out("logs/" + file);
    Status st = TimeSpeedCheck(check, SimProfilePath());
    if (st.ok()) {
      auto timed = ReadMatching(check);
      auto speed = timed.ok() ? SpeedFactor(speed_then_, *timed, check) : Result<double>(timed.status());
      if (speed.ok()) return *speed;
      st = speed.status();
    }
    Log("  speed check failed: " + st.message());
    return std::nullopt;
  }

  // What a run is simulated with: the simulator's and the policy's models
  // scaled by the machine's speed at the run.
  struct RunModels {
    std::string profile_path;
    std::unique_ptr<CpuCostModel> sim, policy;
  };
  // With `speed`, the scaled profile is written to logs/<name>.sim-profile.json;
  // without, the models as fitted.
  RunModels ModelsAt(const std::string& name, std::optional<double> speed) {
    RunModels m;
    m.profile_path = SimProfilePath();
    auto profile = ReadCpuCostProfile(SimProfilePath());
    if (!profile.ok()) return m;  // no model: the run is not replayed (logged there)
    if (speed) {
      const std::string path = Out("logs/" + name + ".sim-profile.json");
      const CpuCostProfile scaled = ScaledProfile(*profile, *speed);
      Status st = WriteCpuCostProfile(scaled, path);
      if (st.ok()) {
        m.profile_path = path;
        *profile = scaled;
        if (policy_model_ != nullptr) m.policy = OnlineModelAfter(ScaledProfile(compute_profile_, *speed));
        Log("  speed: " + ShortNumber(*speed, 4) + "x the model's time; simulated with " + path);
      } else {
        Log("  " + st.message() + "; simulated with the model as fitted");
      }
    }
    m.sim = MakeProfiledCostModel(*profile);
    return m;
  }

  // The rule (EVALUATION.md): the device tier holds `working_set_multiple`
  // times the offered load's mean working set, taken at the reference
  // policy's capacity with a tier that never fills (the server's default).
  Status SizeDeviceTier() {
    RealSetup& s = results_.setup;
    auto unbounded = SimSetup(-1, -1);
    if (!unbounded.ok()) return unbounded.status();
    CapacityOptions co;
    co.seeds = 3;
    auto cap = FindCapacity(scaled_, Workload(1, c_.seed), *unbounded->cost, SimOptions(*unbounded, c_.reference_policy), co);
    if (!cap.ok()) return cap.status();
    if (cap->max_rate_rps <= 0) return Status::InvalidArgument("the reference policy sustains no rate in simulation");
    s.reference_rps = cap->max_rate_rps;
    auto w = BuildWorkload(scaled_, Workload(s.reference_rps, c_.seed));
    if (!w.ok()) return w.status();
    s.trace_description = w->description;
    auto sim = Simulate(*w, *unbounded->cost, SimOptions(*unbounded, c_.reference_policy));
    if (!sim.ok()) return sim.status();
    s.mean_working_set_blocks = sim->mean_device_blocks;
    s.block_size = unbounded->sched.block_size;
    // Never below what the largest request really needs alone (its prompt
    // and true output; a policy that reserves the whole cap, as reserve-max
    // does, may then refuse it, which is that policy's nature), nor below
    // what the client's probe needs: any request's prompt may open a run,
    // with kProbeLongTokens of output. Every seed a run, the warm-up or the
    // solo stage draws with counts. (Without the probe term the solo stage's
    // first request, a 510-token prompt, outgrew a 35-block tier, and vllm
    // rejected it after its recompute, as vLLM V0 does.)
    std::vector<uint64_t> seeds = c_.RunSeeds();
    seeds.push_back(c_.seed);
    seeds.push_back(c_.warmup.seed);
    int64_t largest = 0;
    for (uint64_t seed : seeds) {
      auto drawn = BuildWorkload(scaled_, Workload(s.reference_rps, seed));
      if (!drawn.ok()) return drawn.status();
      for (const WorkloadRequest& r : drawn->requests) {
        const int64_t tokens = r.prompt_tokens + std::max<int64_t>(r.output_tokens, bench::kProbeLongTokens);
        largest = std::max<int64_t>(largest, (tokens + s.block_size - 1) / s.block_size);
      }
    }
    s.device_blocks = static_cast<int32_t>(
        std::max<double>(std::ceil(c_.working_set_multiple * s.mean_working_set_blocks), static_cast<double>(largest + 1)));
    s.host_blocks = s.device_blocks;
    Log("reference: " + c_.reference_policy + " sustains " + ShortNumber(s.reference_rps, 3) +
        " req/s in simulation; mean working set there " + ShortNumber(s.mean_working_set_blocks, 3) + " blocks -> device tier " +
        std::to_string(s.device_blocks) + " blocks (x" + ShortNumber(c_.working_set_multiple, 3) + "), host tier " +
        std::to_string(s.host_blocks));
    return Status::Ok();
  }

  // SLO targets from the real solo step (issue 19): the reference policy
  // serves requests one at a time (client concurrency 1) with its steps
  // logged; those steps, against one engine-loop iteration, refit the cost
  // model that every run's SLO targets come from, on the client's side and
  // in the simulator. Saved beside --profile (<name>.solo.json) and reused
  // with it, so the targets stay fixed across runs too.
  Status MeasureSoloSteps() {
    RealSetup& s = results_.setup;
    s.slo_profile_path = Sidecar(".solo", "solo-profile.json");
    if (NeedsRefit(s.slo_profile_path)) {
      Log("solo: " + std::to_string(c_.solo_requests) + " requests one at a time on " + c_.reference_policy);
      bench::BenchOptions bo;
      bo.plan.length_scale = 1;
      bo.plan.num_requests = c_.solo_requests;
      bo.plan.seed = c_.seed;
      bo.plan.rate_rps = std::numeric_limits<double>::infinity();
      bo.max_concurrency = 1;  // alone: every step is a solo step
      bo.time_limit_s = c_.time_limit_s;
      bo.slo.cost_model = s.profile_path;
      bo.workload_name = c_.trace;
      auto steps = ServeLogged("solo", c_.reference_policy, bo);
      if (!steps.ok()) return steps.status();
      if (Status st = WriteRefit(s.profile_path, *steps, s.slo_profile_path); !st.ok()) return st;
    } else {
      Log("solo: reusing " + s.slo_profile_path);
    }
    auto solo = ReadMatching(s.slo_profile_path);
    if (!solo.ok()) return solo.status();
    slo_model_ = MakeProfiledCostModel(*solo);
    std::vector<int32_t> prompts;
    for (const TraceRow& row : scaled_.rows) prompts.push_back(row.prompt_tokens);
    std::sort(prompts.begin(), prompts.end());
    const int32_t median = prompts.empty() ? 1 : std::max(1, prompts[prompts.size() / 2]);
    s.solo_decode_ms = 1e3 * slo_model_->SoloDecodeTime(median);
    s.solo_prefill_ms = 1e3 * slo_model_->SoloPrefillTime(median);
    Log("solo: served decode step " + ShortNumber(s.solo_decode_ms, 3) + " ms, prefill " +
        ShortNumber(s.solo_prefill_ms, 3) + " ms at the median prompt (" + std::to_string(median) +
        " tokens); the SLO targets come from " + s.slo_profile_path);
    return Status::Ok();
  }

  static ServerCounters CountersBetween(const std::map<std::string, double>& a,
                                        const std::map<std::string, double>& b) {
    ServerCounters c;
    const std::string name = "cacheopt_preemptions_total";
    c.preemptions_recompute = SumMetric(b, name, "kind=\"recompute\"") - SumMetric(a, name, "kind=\"recompute\"");
    c.preemptions_swap = SumMetric(b, name, "kind=\"swap\"") - SumMetric(a, name, "kind=\"swap\"");
    c.swap_out_blocks = SumMetric(b, "cacheopt_swap_out_blocks_total") - SumMetric(a, "cacheopt_swap_out_blocks_total");
    c.swap_in_blocks = SumMetric(b, "cacheopt_swap_in_blocks_total") - SumMetric(a, "cacheopt_swap_in_blocks_total");
    c.recomputed_tokens =
        SumMetric(b, "cacheopt_recomputed_tokens_total") - SumMetric(a, "cacheopt_recomputed_tokens_total");
    return c;
  }

  RealRun RunOne(const std::string& policy, double multiple, uint64_t seed, const std::string& tag = "") {
    const RealSetup& s = results_.setup;
    RealRun run;
    run.policy = policy;
    run.multiple = multiple;
    run.seed = seed;
    run.rate_rps = multiple * s.reference_rps;
    // One seed keeps the names runs had before seeds existed.
    const std::string name = tag + policy + "-x" + ShortNumber(multiple, 3) +
                             (c_.RunSeeds().size() > 1 ? "-s" + std::to_string(seed) : "");
    run.log_path = Out("logs/" + name + ".log");
    run.result_path = Out("runs/" + name + ".json");
    std::error_code ec;
    fs::remove(run.log_path, ec);
    Log("run " + name + ": " + ShortNumber(run.rate_rps, 3) + " req/s");
    // The machine's speed before and after the run (it moves within
    // seconds here): the geometric mean scales the run's models.
    const std::optional<double> speed_before = CheckSpeed(name + ".speed-before.json");
    const auto start = Clock::now();

    ServerSpec spec = SpecFor(policy, run.log_path);
    run.steps_log = Out("logs/" + name + ".steps.jsonl");
    fs::remove(run.steps_log, ec);
    spec.steps_log = run.steps_log;
    auto server = ServerUnderTest::Start(spec, 180);
    if (!server.ok()) {
      run.status = server.status();
      Log("  failed: " + run.status.message());
      return run;
    }
    auto before = server->ScrapeMetrics();

    bench::BenchOptions bo;
    bo.base_url = server->base_url();
    // No probe: the SLO targets come from the solo steps' model, and the
    // probe's early check would end the run on the first request a policy
    // refuses (s3 refuses one whose predicted bucket outgrows the tier); in
    // the run it counts as failed, and misses its TTFT.
    bo.probe = false;
    bo.plan.length_scale = 1;  // the trace is scaled already
    bo.plan.num_requests = c_.requests;
    bo.plan.seed = seed;
    bo.plan.rate_rps = run.rate_rps;
    bo.plan.arrival.kind = c_.arrival == "gamma" ? ArrivalKind::kGamma : ArrivalKind::kPoisson;
    bo.plan.arrival.cv = c_.arrival == "gamma" ? c_.arrival_cv : 1.0;
    bo.time_limit_s = c_.time_limit_s;
    // Each request's SLO targets as the simulator assigns them.
    bo.slo.cost_model = s.slo_profile_path;
    bo.workload_name = c_.trace;
    auto bench = bench::RunBenchmark(scaled_, bo);
    auto after = server->ScrapeMetrics();
    const int code = server->Stop(30);
    run.wall_s = Since(start);
    const std::optional<double> speed_after = CheckSpeed(name + ".speed-after.json");
    if (speed_before && speed_after) {
      run.speed = std::sqrt(*speed_before * *speed_after);
    } else {
      run.speed = speed_before ? speed_before : speed_after;
    }
    RunModels models = ModelsAt(name, run.speed);
    run.sim_profile_path = models.profile_path;
    if (!bench.ok()) {
      run.status = bench.status();
      Log("  failed: " + run.status.message());
      return run;
    }
    if (code != 0) Log("  note: the server exited with code " + std::to_string(code));
    run.requests = static_cast<int64_t>(bench->plan.requests.size());
    run.real = bench->summary;
    if (before.ok() && after.ok()) run.counters = CountersBetween(*before, *after);
    if (Status st = bench::WriteBenchResult(*bench, run.result_path); !st.ok()) Log("  " + st.message());
    Log("  done in " + ShortNumber(run.wall_s, 3) + " s: " + std::to_string(run.real.completed) + " completed, " +
        std::to_string(run.real.failed) + " failed; p95 TTFT " + ShortNumber(run.real.ttft.p95_ms, 3) + " ms, p95 ITL " +
        ShortNumber(run.real.itl.p95_ms, 3) + " ms; preemptions " +
        ShortNumber(run.counters.preemptions_recompute + run.counters.preemptions_swap, 3));

    ReplaySteps(&run, std::move(models.sim));
    if (std::find(c_.fidelity_policies.begin(), c_.fidelity_policies.end(), policy) != c_.fidelity_policies.end())
      Predict(*bench, run.sim_profile_path, models.policy.get(), &run);
    return run;
  }

  // Bisection on the real server's load for `policy`, between low and high
  // multiples of the reference rate; the simulator's capacity on the same
  // tiers beside it (token-level, as the reference).
  RealCapacity SearchCapacity(const std::string& policy) {
    const auto& cs = c_.capacity_search;
    RealCapacity cap;
    cap.policy = policy;
    // The simulated side uses the model as fitted, the same for every
    // policy: a ranking compares policies, and a speed check's noise (the
    // machine moves by 10-30% within minutes) would rank them by when their
    // search ran. The speed at the search's start is reported beside it.
    cap.speed = CheckSpeed("cap-" + policy + ".speed.json");
    const RunModels models = ModelsAt("cap-" + policy, std::nullopt);
    double lo = cs.low, hi = cs.high;
    for (int i = 0; i < cs.iterations; ++i) {
      const double mid = i == 0 ? lo : (lo + hi) / 2;  // the low end first: it must hold for a bracket
      RealRun run = RunOne(policy, mid, c_.seed, "cap-");
      const auto& slo = run.real.slo;
      // A failed or refused request misses its TTFT (bench_metrics.h).
      const bool held = run.status.ok() && slo.ttft >= cs.target && slo.tbt_token.value_or(0) >= cs.target;
      cap.probes.push_back({run.rate_rps, held});
      Log("  capacity " + policy + ": x" + ShortNumber(mid, 3) + (held ? " holds" : " misses"));
      if (i == 0 && !held) break;  // nothing holds even at the low end
      if (i == 0) continue;
      if (held) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    for (const auto& [rate, held] : cap.probes)
      if (held) cap.real_rps = std::max(cap.real_rps, rate);
    auto setup = SimSetup(results_.setup.device_blocks, results_.setup.host_blocks, models.profile_path);
    if (setup.ok()) {
      CapacityOptions co;
      co.seeds = 3;
      co.target = cs.target;
      // Room above the highest load probed on the server.
      co.hi_rps = std::max(co.hi_rps, 4 * cs.high * results_.setup.reference_rps);
      auto sim = FindCapacity(scaled_, Workload(1, c_.seed), *setup->cost,
                              SimOptions(*setup, policy, models.policy.get()), co);
      if (sim.ok()) cap.sim_rps = sim->max_rate_rps;
    }
    Log("capacity " + policy + ": real " + ShortNumber(cap.real_rps, 3) + " req/s, simulated " +
        ShortNumber(cap.sim_rps, 3) + " req/s");
    return cap;
  }

  // Every step the server took, predicted by the model the run is simulated
  // with; pooled with every earlier run's, each under its own model.
  void ReplaySteps(RealRun* run, std::unique_ptr<CpuCostModel> model) {
    auto steps = ReadRealStepsLog(run->steps_log);
    if (!steps.ok() || model == nullptr) {
      Log("  steps not replayed: " +
          (steps.ok() ? std::string("the profile ") + run->sim_profile_path + " did not load" : steps.status().message()));
      return;
    }
    run->step_error = ::cacheopt::ReplaySteps(*steps, *model, ReplayTarget::kLoop, results_.setup.block_size);
    pooled_steps_.insert(pooled_steps_.end(), steps->begin(), steps->end());
    replayed_.push_back({std::move(*steps), std::move(model)});
    std::vector<ReplayPart> parts;
    std::vector<std::span<const StepRecord>> runs;
    for (const auto& [logged, by] : replayed_) {
      parts.push_back({logged, by.get()});
      runs.push_back(logged);
    }
    results_.step_error_all = ::cacheopt::ReplaySteps(parts, ReplayTarget::kLoop, results_.setup.block_size);
    results_.step_noise_within_runs = SameShapeSpread(runs, ReplayTarget::kLoop);
    const std::vector<std::span<const StepRecord>> one = {pooled_steps_};
    results_.step_noise_pooled = SameShapeSpread(one, ReplayTarget::kLoop);
    const ErrorSummary& e = run->step_error->all;
    Log("  steps: " + std::to_string(e.steps) + ", per-step |error| p50 " + ShortNumber(100 * e.p50, 3) + "%, p95 " +
        ShortNumber(100 * e.p95, 3) + "%, max " + ShortNumber(100 * e.max, 3) + "% (median " +
        ShortNumber(100 * e.median_signed, 3) + "%)");
  }

  // The simulator on the requests as they were sent: same lengths, caps,
  // classes and send times; same policy and tiers; the profiled cost model.
  void Predict(const bench::BenchRun& bench, const std::string& profile, const CostModel* policy_model, RealRun* run) {
    ::cacheopt::Workload w;
    double first = INFINITY;
    for (const bench::RequestRecord& r : bench.records) first = std::min(first, r.send_s);
    for (size_t i = 0; i < bench.plan.requests.size(); ++i) {
      const bench::PlannedRequest& p = bench.plan.requests[i];
      WorkloadRequest q;
      q.id = p.id;
      q.arrival_s = bench.records[i].send_s - first;
      q.prompt_tokens = p.prompt_tokens;
      q.output_tokens = std::min(p.eos_after, p.max_tokens);
      q.max_tokens = p.max_tokens;
      q.slo_class = p.slo_class;
      w.requests.push_back(q);
    }
    std::stable_sort(w.requests.begin(), w.requests.end(),
                     [](const WorkloadRequest& a, const WorkloadRequest& b) { return a.arrival_s < b.arrival_s; });
    for (size_t i = 0; i < w.requests.size(); ++i) w.requests[i].id = static_cast<int64_t>(i);
    auto setup = SimSetup(results_.setup.device_blocks, results_.setup.host_blocks, profile);
    if (!setup.ok()) {
      Log("  simulation set-up failed: " + setup.status().message());
      return;
    }
    auto sim = Simulate(w, *setup->cost, SimOptions(*setup, run->policy, policy_model));
    if (!sim.ok()) {
      Log("  simulation failed: " + sim.status().message());
      return;
    }
    run->sim = sim->summary;
    run->sim_preemptions = sim->summary.preemptions_recompute + sim->summary.preemptions_swap;
    Log("  simulated: p95 TTFT " + ShortNumber(sim->summary.p95_ttft_ms, 3) + " ms, p95 TBT " + ShortNumber(sim->summary.p95_tbt_ms, 3) +
        " ms; preemptions " + std::to_string(*run->sim_preemptions));
  }

  const RealExperimentConfig& c_;
  const RealRunnerOptions& o_;
  Trace scaled_;
  // Every run's steps with the model it was simulated with (the pooled error).
  std::vector<std::pair<std::vector<StepRecord>, std::unique_ptr<CpuCostModel>>> replayed_;
  std::vector<StepRecord> pooled_steps_;  // the same steps as one log (the spread across runs)
  CpuCostProfile speed_then_;       // the check (or profile) runs' speed checks are against
  CpuCostProfile compute_profile_;  // the warm-up's compute refit (the policy's model)
  std::unique_ptr<CpuCostModel> slo_model_;  // the SLO targets' (MeasureSoloSteps)
  bool profile_fresh_ = false;  // the profile was measured in this run
  std::unique_ptr<CpuCostModel> policy_model_;  // the simulated policy's (RefitOnServingSteps)
};

}  // namespace

Result<RealResults> RunRealExperiment(const RealExperimentConfig& config, const RealRunnerOptions& opts) {
  Runner r(config, opts);
  return r.Run();
}

}  // namespace cacheopt::realexp
