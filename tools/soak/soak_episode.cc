#include "soak/soak_episode.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/metrics/slo.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "cacheopt/session.h"
#include "core/sched/knobs.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"
#include "exec/sim/sim_executor.h"

namespace cacheopt::soak {

const char* ToString(ArrivalPattern p) {
  switch (p) {
    case ArrivalPattern::kBurst: return "burst";
    case ArrivalPattern::kPoisson: return "poisson";
    case ArrivalPattern::kBursty: return "bursty";
    case ArrivalPattern::kSpread: return "spread";
  }
  return "?";
}

const char* ToString(ExecutorKind k) { return k == ExecutorKind::kSim ? "sim" : "fake"; }

int32_t EpisodeRequest::ExpectedOutput(int32_t max_model_len) const {
  return std::min({natural_len, spec.max_tokens, max_model_len - spec.prompt_tokens});
}

uint64_t EpisodeSeed(uint64_t run_seed, int64_t index) {
  return Mix64(Mix64(run_seed) + static_cast<uint64_t>(index));
}

namespace {

// The episode's draws come from one sub-stream of its seed. (The soak owns
// its seeds; no other consumer draws from them.)
constexpr uint64_t kDrawStream = streams::kSoakEpisode;

double LogUniform(Rng& rng, double lo, double hi) { return lo * std::exp(UniformDouble(rng) * std::log(hi / lo)); }

// An integer in [lo, hi], log-uniform (small values as likely per octave as large).
int32_t LogUniformInt(Rng& rng, int32_t lo, int32_t hi) {
  if (hi <= lo) return lo;
  double x = LogUniform(rng, lo, static_cast<double>(hi) + 1);
  return std::clamp(static_cast<int32_t>(std::floor(x)), lo, hi);
}

int32_t Pick(Rng& rng, std::initializer_list<int32_t> values) {
  return *(values.begin() + UniformInt(rng, values.size()));
}

}  // namespace

namespace {

// Half the episodes: 1-4 prompt families; each request of a family starts
// with a prefix of the family's tokens (its length drawn per request, so
// prefixes nest), the rest its own. Stand-in token ids, hashed as the real
// engine hashes a prompt.
void DrawSharedPrefixes(uint64_t seed, EpisodeSpec* e) {
  Rng rng = Rng::Stream(seed, streams::kSoakPrefixes);
  if (UniformInt(rng, 2) == 0) return;
  e->prefix_families = 1 + static_cast<int32_t>(UniformInt(rng, 4));
  for (EpisodeRequest& q : e->requests) {
    RequestSpec& s = q.spec;
    const int32_t family = static_cast<int32_t>(UniformInt(rng, static_cast<uint64_t>(e->prefix_families)));
    const int32_t shared = static_cast<int32_t>(UniformInt(rng, static_cast<uint64_t>(s.prompt_tokens) + 1));
    std::vector<int32_t> tokens(static_cast<size_t>(s.prompt_tokens));
    for (int32_t i = 0; i < s.prompt_tokens; ++i)
      tokens[i] = i < shared ? family * 1000003 + i : -1 - static_cast<int32_t>(s.id * 65537 + i);
    s.block_hashes = std::make_shared<const std::vector<BlockHash>>(HashFullBlocks(tokens, e->config.block_size));
  }
}

// A third of the episodes send request groups, as the server does for n > 1:
// runs of two to four consecutive requests become one group whose members
// copy the first's prompt (and its prefix identity), arrival, SLOs and
// max_tokens, each with its own natural length. Groups never span a gap
// because the members take the first's arrival.
void DrawRequestGroups(uint64_t seed, EpisodeSpec* e) {
  Rng rng = Rng::Stream(seed, streams::kSoakGroups);
  if (UniformInt(rng, 3) != 0) return;
  std::vector<EpisodeRequest>& reqs = e->requests;
  for (size_t i = 0; i < reqs.size();) {
    const size_t members = std::min(reqs.size() - i, static_cast<size_t>(UniformInt(rng, 4)) + 1);
    if (members > 1) {
      ++e->request_groups;
      const RequestSpec& first = reqs[i].spec;
      for (size_t k = i + 1; k < i + members; ++k) {
        RequestSpec& s = reqs[k].spec;
        const int64_t id = s.id;
        s = first;
        s.id = id;
      }
      reqs[i].spec.group = first.id;
      for (size_t k = i + 1; k < i + members; ++k) reqs[k].spec.group = first.id;
    }
    i += members;
  }
}

}  // namespace

EpisodeSpec DrawEpisode(const std::string& policy, const Variant& variant, uint64_t seed, int64_t index,
                        const DrawLimits& limits, const CostModel& sim_cost, const CostModel& fake_cost) {
  Rng rng = Rng::Stream(seed, kDrawStream);
  EpisodeSpec e;
  e.index = index;
  e.seed = seed;
  e.policy = policy;
  e.variant = variant.label;
  e.executor = UniformDouble(rng) < limits.sim_share ? ExecutorKind::kSim : ExecutorKind::kFake;
  const bool sim = e.executor == ExecutorKind::kSim;
  const CostModel& cost = sim ? sim_cost : fake_cost;

  SchedulerConfig& c = e.config;
  switch (UniformInt(rng, 4)) {
    case 0: c.block_size = 16; break;  // vLLM's default
    case 1: c.block_size = Pick(rng, {1, 8, 32}); break;
    default: c.block_size = 1 + static_cast<int32_t>(UniformInt(rng, 64)); break;
  }
  c.device_blocks = LogUniformInt(rng, limits.min_device_blocks, limits.max_device_blocks);
  // Both tiers: a fifth of the episodes without a host tier, the rest up to 2x the device's.
  c.host_blocks = UniformInt(rng, 5) == 0 ? 0 : 1 + static_cast<int32_t>(UniformInt(rng, 2 * c.device_blocks));
  c.max_model_len = UniformInt(rng, 2) == 0 ? limits.max_model_len : LogUniformInt(rng, 8, limits.max_model_len);
  c.preemption_mode = UniformInt(rng, 2) == 0 ? PreemptMode::kSwap : PreemptMode::kRecompute;
  if (UniformInt(rng, 2) == 0) c.token_budget = LogUniformInt(rng, 1, 8192);
  if (UniformInt(rng, 2) == 0) c.max_num_seqs = LogUniformInt(rng, 1, 256);
  if (sim) {
    c.device_name = limits.sim_device_name;
    c.device_memory_gib = limits.sim_device_memory_gib;
  }
  c.knobs = DrawKnobs(variant, rng);

  // Lengths on the pool's scale: some requests fit many times over, some
  // barely, some never (rejected).
  const double pool_tokens = static_cast<double>(c.device_blocks) * c.block_size;
  const int32_t scale = std::clamp(static_cast<int32_t>(pool_tokens * LogUniform(rng, 0.02, 1.5)), 1,
                                   c.max_model_len);
  // Half the episodes are built for pressure: many requests, long outputs,
  // together several times the pool, arriving in bursts.
  const bool pressure = UniformInt(rng, 2) == 0;
  const int32_t n = pressure ? LogUniformInt(rng, std::min(20, limits.max_requests), limits.max_requests)
                             : LogUniformInt(rng, 1, limits.max_requests);
  const int64_t max_work =
      pressure ? std::max<int64_t>(limits.max_work_tokens,
                                   std::min<int64_t>(static_cast<int64_t>(4 * pool_tokens), 2 * limits.max_work_tokens))
               : limits.max_work_tokens;
  // Pressure comes from concurrency: spread-out arrivals are the rarest, and
  // a pressure episode's requests come in a burst or in bursty groups.
  e.pressure = pressure;
  switch (pressure ? 1 + 6 * UniformInt(rng, 2) : UniformInt(rng, 10)) {
    case 0: e.arrival = ArrivalPattern::kSpread; break;
    case 1: case 2: case 3: e.arrival = ArrivalPattern::kBurst; break;
    case 4: case 5: case 6: e.arrival = ArrivalPattern::kPoisson; break;
    default: e.arrival = ArrivalPattern::kBursty; break;
  }
  // One step of this executor: a fake step is 1 s; a real one, a solo decode.
  const double tau = sim ? cost.SoloDecodeTime(512) : 1.0;
  double rate = 0;        // arrivals (or groups) per second
  int32_t group_max = 1;  // bursty: largest group
  switch (e.arrival) {
    case ArrivalPattern::kBurst: break;
    case ArrivalPattern::kPoisson: rate = LogUniform(rng, 0.01, 3.0) / tau; break;
    case ArrivalPattern::kBursty:
      rate = LogUniform(rng, 0.002, 0.5) / tau;
      group_max = 2 + static_cast<int32_t>(UniformInt(rng, 24));
      break;
    case ArrivalPattern::kSpread: rate = LogUniform(rng, 0.0002, 0.005) / tau; break;
  }
  SloOptions slo;
  slo.slo_scale = LogUniform(rng, 0.25, 4.0);
  // Outputs log-uniform (mostly short) or uniform (long ones common: decodes
  // outgrow what admission saw, the road to preemption).
  const bool long_outputs = pressure || UniformInt(rng, 2) == 0;

  double t = 0;
  int32_t group_left = 0;
  int64_t work = 0;
  for (int32_t i = 0; i < n; ++i) {
    EpisodeRequest q;
    RequestSpec& s = q.spec;
    s.id = i;
    // Prompt: a tenth near the context limit, a fifth short, the rest log-uniform.
    const uint64_t pk = UniformInt(rng, 10);
    if (pk == 0) {
      s.prompt_tokens = c.max_model_len - 1 - static_cast<int32_t>(UniformInt(rng, std::min(c.max_model_len - 1, 16)));
    } else if (pk <= 2) {
      s.prompt_tokens = 1 + static_cast<int32_t>(UniformInt(rng, std::min(scale, 64)));
    } else {
      s.prompt_tokens = LogUniformInt(rng, 1, scale);
    }
    s.prompt_tokens = std::clamp(s.prompt_tokens, 1, c.max_model_len - 1);
    const int32_t room = c.max_model_len - s.prompt_tokens;
    // max_tokens: up to the context (it then ends there), a few tokens, past
    // the context (the context ends it), or log-uniform on the pool's scale.
    switch (UniformInt(rng, 10)) {
      case 0: s.max_tokens = room; break;
      case 1: s.max_tokens = 1 + static_cast<int32_t>(UniformInt(rng, std::min(room, 16))); break;
      case 2: s.max_tokens = room + 1 + static_cast<int32_t>(UniformInt(rng, 64)); break;
      default: {
        const int32_t hi = std::max(1, std::min(room, scale));
        s.max_tokens = long_outputs ? 1 + static_cast<int32_t>(UniformInt(rng, hi)) : LogUniformInt(rng, 1, hi);
        break;
      }
    }
    // Where EOS comes: before the cap, at it, or never (the cap ends it).
    switch (UniformInt(rng, 4)) {
      case 0: q.natural_len = s.max_tokens + 1 + static_cast<int32_t>(UniformInt(rng, s.max_tokens)); break;
      case 1: q.natural_len = s.max_tokens; break;
      default: q.natural_len = 1 + static_cast<int32_t>(UniformInt(rng, s.max_tokens)); break;
    }
    // Arrival.
    switch (e.arrival) {
      case ArrivalPattern::kBurst: break;
      case ArrivalPattern::kPoisson:
      case ArrivalPattern::kSpread: t += Exponential(rng, rate); break;
      case ArrivalPattern::kBursty:
        if (group_left == 0) {
          t += Exponential(rng, rate);
          group_left = 1 + static_cast<int32_t>(UniformInt(rng, group_max));
        }
        --group_left;
        break;
    }
    s.arrival_s = t;
    s.slo_class = static_cast<SloClass>(UniformInt(rng, kNumSloClasses));
    AssignSlo(&s, cost, slo);
    work += s.prompt_tokens + q.ExpectedOutput(c.max_model_len);
    if (i > 0 && work > max_work) break;
    e.requests.push_back(std::move(q));
  }
  DrawSharedPrefixes(seed, &e);
  DrawRequestGroups(seed, &e);
  return e;
}

std::string Describe(const EpisodeSpec& e) {
  const SchedulerConfig& c = e.config;
  std::ostringstream os;
  os << "episode " << e.index << " seed " << e.seed << " " << e.policy << " [" << e.variant
     << "] knobs " << KnobsString(c.knobs) << " executor " << ToString(e.executor) << " blocks " << c.device_blocks
     << "x" << c.block_size << " host " << c.host_blocks << " ctx " << c.max_model_len << " mode "
     << (c.preemption_mode == PreemptMode::kSwap ? "swap" : "recompute") << " budget " << c.token_budget
     << " seqs " << c.max_num_seqs << " requests " << e.requests.size() << " " << ToString(e.arrival)
     << (e.pressure ? " pressure" : "")
     << (e.prefix_families > 0 ? " prefixes " + std::to_string(e.prefix_families) : "")
     << (e.request_groups > 0 ? " groups " + std::to_string(e.request_groups) : "");
  return os.str();
}

namespace {

// Wraps the episode's executor and checks each step's plan before it runs:
// what the scheduler promised the executor (KV blocks for every token it
// feeds) must hold at the moment the executor would write them.
class CheckingExecutor : public Executor {
 public:
  CheckingExecutor(Executor* inner, const Scheduler* sched, const SchedulerConfig& config)
      : inner_(inner), sched_(sched), config_(config) {}

  void Execute(const SchedulerOutput& step, ExecutorOutput* out) override {
    if (error_.empty()) error_ = CheckPlan(step);
    inner_->Execute(step, out);
  }
  const std::string& error() const { return error_; }
  int64_t over_budget_steps() const { return over_budget_steps_; }

 private:
  std::string CheckPlan(const SchedulerOutput& step) {
    const BlockManager& bm = sched_->blocks();
    ids_.clear();
    int64_t tokens = 0;
    for (const ScheduledSeq& s : step.seqs) {
      const Request* r = sched_->Find(s.request_id);
      if (r == nullptr) return "plan: request " + std::to_string(s.request_id) + " is scheduled but not live";
      std::string who = "plan: request " + std::to_string(r->spec.id);
      if (r->state != RequestState::kRunning) return who + " is scheduled but not running";
      if (s.num_tokens < 1) return who + " is scheduled for " + std::to_string(s.num_tokens) + " tokens";
      if (s.context_before != r->num_computed)
        return who + " context_before " + std::to_string(s.context_before) + " != computed " +
               std::to_string(r->num_computed);
      if (s.num_tokens > r->TokensToCompute())
        return who + " fed " + std::to_string(s.num_tokens) + " tokens, only " +
               std::to_string(r->TokensToCompute()) + " to compute";
      if (s.emits_token != (s.num_tokens == r->TokensToCompute())) return who + " emits_token is wrong";
      if (r->kv_slot < 0) return who + " runs without a block table";
      if (s.num_output != r->num_output) return who + " is described wrongly in the plan";
      const BlockTable& t = bm.table(r->kv_slot);
      if (!t.host.empty()) return who + " runs with blocks on the host tier";
      const int64_t kv = static_cast<int64_t>(s.context_before) + s.num_tokens;
      if (static_cast<int64_t>(t.device.size()) < bm.BlocksFor(kv))
        return who + " writes " + std::to_string(kv) + " tokens of KV into " + std::to_string(t.device.size()) +
               " blocks of " + std::to_string(bm.block_size());
      ids_.push_back(r->spec.id);
      tokens += s.num_tokens;
    }
    std::sort(ids_.begin(), ids_.end());
    if (std::adjacent_find(ids_.begin(), ids_.end()) != ids_.end())
      return "plan: a request is scheduled twice in one step";
    if (config_.max_num_seqs > 0 && static_cast<int64_t>(ids_.size()) > config_.max_num_seqs)
      return "plan: " + std::to_string(ids_.size()) + " sequences over max_num_seqs " +
             std::to_string(config_.max_num_seqs);
    // Not every policy treats --token-budget as a hard cap (cacheopt's
    // SLO-aware batching sizes its own chunks, docs/scheduling.md): counted.
    if (config_.token_budget > 0 && tokens > config_.token_budget) ++over_budget_steps_;
    auto copies_ok = [](const std::vector<BlockCopy>& v, int32_t src_n, int32_t dst_n) {
      for (const BlockCopy& b : v)
        if (b.src < 0 || b.src >= src_n || b.dst < 0 || b.dst >= dst_n) return false;
      return true;
    };
    if (!copies_ok(step.swap_out, bm.device_total(), bm.host_total()) ||
        !copies_ok(step.swap_out_ahead, bm.device_total(), bm.host_total()) ||
        !copies_ok(step.swap_in, bm.host_total(), bm.device_total()))
      return "plan: a swap copy names a block outside its tier";
    return {};
  }

  Executor* inner_;
  const Scheduler* sched_;
  const SchedulerConfig& config_;
  std::string error_;
  int64_t over_budget_steps_ = 0;
  std::vector<int64_t> ids_;  // scratch
};

// Why a request could be rejected: it could never fit the pool less the
// largest watermark a policy keeps, or its prompt (plus output, after a
// recompute) exceeds an explicit token budget of a policy without chunking.
// Anything else is a rejection of a request the engine could have served.
struct RejectCheck {
  int32_t device_total = 0;
  int32_t block_size = 1;
  int32_t max_model_len = 0;
  int64_t watermark_blocks = 0;
  int64_t token_budget = 0;

  // 0 unexplained, 1 pool, 2 budget.
  int Classify(const RequestSpec& s) const {
    const int64_t foot = std::min<int64_t>(static_cast<int64_t>(s.prompt_tokens) + s.max_tokens, max_model_len);
    const int64_t blocks = (foot + block_size - 1) / block_size;
    if (blocks + 1 + watermark_blocks > device_total) return 1;
    if (token_budget > 0 && foot > token_budget) return 2;
    return 0;
  }
};

RejectCheck MakeRejectCheck(const SchedulerConfig& c) {
  RejectCheck rc;
  rc.device_total = c.device_blocks;
  rc.block_size = c.block_size;
  rc.max_model_len = c.max_model_len;
  double wm = c.watermark;
  if (auto v = KnobDouble(c.knobs, "watermark", wm); v.ok()) wm = *v;
  rc.watermark_blocks = std::max<int64_t>(1, static_cast<int64_t>(std::max(wm, 0.01) * c.device_blocks));
  int64_t budget = c.token_budget;
  if (auto v = KnobInt(c.knobs, "token_budget", budget); v.ok()) budget = *v;
  rc.token_budget = budget;
  return rc;
}

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// The soak's view of each step: its trace line, the invariants (timed apart
// from the step), and the checks of every request that ended.
class EpisodeChecker : public RunObserver {
 public:
  EpisodeChecker(const EpisodeSpec& e, const Scheduler& sched, const CheckingExecutor& exec,
                 const EpisodeRunOptions& opts, EpisodeResult* res)
      : e_(e), sched_(sched), exec_(exec), opts_(opts), res_(res), reject_check_(MakeRejectCheck(e.config)),
        last_(Clock::now()) {}

  Status OnStep(const StepReport& step, StepEvents& events) override {
    const auto t1 = Clock::now();
    Status inv = sched_.CheckInvariants();
    const auto t2 = Clock::now();
    res_->step_wall_s += Seconds(t1 - last_);
    res_->check_wall_s += Seconds(t2 - t1);
    res_->steps = step.index + 1;
    if (opts_.trace != nullptr) Trace(step, inv);
    if (!exec_.error().empty()) Fail(step.index, exec_.error());
    if (!inv.ok()) Fail(step.index, "invariant: " + inv.message());
    if (res_->violation) return Stop();  // the state is no longer trustworthy
    if (step.ran) ++res_->executed_steps;
    for (const FinishEvent& f : events.finished) CheckEnded(step.index, *f.record);
    last_ = Clock::now();
    return res_->violation ? Stop() : Status::Ok();
  }

  void Fail(int64_t step, std::string message) {
    if (res_->violation) return;
    res_->violation = true;
    res_->violation_step = step;
    res_->message = std::move(message);
  }

 private:
  static Status Stop() { return Status::OutOfRange("soak violation"); }

  void Trace(const StepReport& step, const Status& inv) const {
    const SchedulerOutput& out = *step.plan;
    std::ostream& os = *opts_.trace;
    int64_t tokens = 0;
    for (const ScheduledSeq& s : out.seqs) tokens += s.num_tokens;
    os << "step " << step.index << " t " << step.start_s << " seqs " << out.seqs.size() << " tokens " << tokens
       << " preempted " << out.preempted.size() << " swap_out " << out.swap_out.size() << "+"
       << out.swap_out_ahead.size() << " swap_in " << out.swap_in.size() << " rejected " << out.rejected.size()
       << " free " << sched_.blocks().device_free() << "/" << sched_.blocks().host_free() << " queues "
       << sched_.num_waiting() << "/" << sched_.num_running() << "/" << sched_.num_swapped();
    // Who ran (id:tokens, p = prefill chunk) and who was preempted (id:r|s).
    os << " [";
    for (size_t i = 0; i < out.seqs.size(); ++i)
      os << (i ? " " : "") << out.seqs[i].request_id << ":" << out.seqs[i].num_tokens
         << (out.seqs[i].prefill() ? "p" : "");
    os << "] [";
    for (size_t i = 0; i < out.preempted.size(); ++i)
      os << (i ? " " : "") << out.preempted[i].request_id << ":"
         << (out.preempted[i].kind == PreemptKind::kSwap ? "s" : "r");
    os << "]" << (inv.ok() ? "" : " INVARIANT: " + inv.message()) << "\n";
  }

  void CheckEnded(int64_t step, const Request& r) {
    const int32_t ctx = e_.config.max_model_len;
    const EpisodeRequest& q = e_.requests[r.spec.id];
    const std::string who = "request " + std::to_string(r.spec.id);
    if (r.kv_slot >= 0) Fail(step, who + " ended holding a block table");
    if (r.state == RequestState::kFinished) {
      ++res_->finished;
      res_->output_tokens += r.num_output;
      if (r.num_output != q.ExpectedOutput(ctx))
        Fail(step, who + " finished with " + std::to_string(r.num_output) + " tokens, expected " +
                       std::to_string(q.ExpectedOutput(ctx)));
      if (!(r.first_token_s >= r.spec.arrival_s && r.finish_s >= r.first_token_s))
        Fail(step, who + " has a timeline out of order");
    } else if (r.state == RequestState::kRejected) {
      ++res_->rejected;
      switch (reject_check_.Classify(r.spec)) {
        case 1: ++res_->rejected_pool; break;
        case 2: ++res_->rejected_budget; break;
        default:
          Fail(step, who + " (prompt " + std::to_string(r.spec.prompt_tokens) + ", max_tokens " +
                         std::to_string(r.spec.max_tokens) + ") was rejected, yet it fits an empty pool of " +
                         std::to_string(e_.config.device_blocks) + " blocks");
      }
    } else {
      Fail(step, who + " ended " + std::string(ToString(r.state)) + "; nothing aborts in a soak");
    }
  }

  const EpisodeSpec& e_;
  const Scheduler& sched_;
  const CheckingExecutor& exec_;
  const EpisodeRunOptions& opts_;
  EpisodeResult* res_;
  const RejectCheck reject_check_;
  Clock::time_point last_;
};

}  // namespace

EpisodeResult RunEpisode(const EpisodeSpec& e, const CostModel& sim_cost, const CostModel& fake_cost,
                         const EpisodeRunOptions& opts) {
  EpisodeResult res;
  const bool sim = e.executor == ExecutorKind::kSim;
  const CostModel& cost = sim ? sim_cost : fake_cost;
  const auto& reqs = e.requests;
  const int32_t ctx = e.config.max_model_len;

  SchedulerConfig config = e.config;
  // The oracle estimators read what each request will really produce.
  config.truth = [&reqs, ctx](int64_t id) -> int32_t {
    return id >= 0 && static_cast<size_t>(id) < reqs.size() ? reqs[id].ExpectedOutput(ctx) : 0;
  };
  auto made = opts.make_scheduler ? opts.make_scheduler(e.policy, config, &cost)
                                  : MakeScheduler(e.policy, config, &cost);
  if (!made.ok()) {
    res.violation = true;
    res.violation_step = -1;
    res.message = "cannot build the scheduler: " + made.status().message();
    return res;
  }
  Scheduler& sched = **made;

  SimExecutor sim_exec(&sim_cost, config.block_size);
  FixedStepExecutor fake_exec;
  std::vector<RequestSpec> arrivals;
  arrivals.reserve(reqs.size());
  for (const EpisodeRequest& q : reqs) {
    if (sim) {
      sim_exec.SetTrueLength(q.spec.id, q.natural_len);
    } else {
      fake_exec.true_len[q.spec.id] = q.natural_len;
    }
    arrivals.push_back(q.spec);
  }
  Executor* inner = sim ? static_cast<Executor*>(&sim_exec) : static_cast<Executor*>(&fake_exec);
  CheckingExecutor exec(inner, &sched, e.config);
  Session session(&sched, &exec);  // the checks run in the observer, timed apart
  EpisodeChecker checker(e, sched, exec, opts, &res);
  Status run = session.Run(arrivals, &checker, RunOptions::Bounded(opts.max_steps));
  res.added = session.submitted();
  if (res.violation) return res;
  if (!run.ok()) {
    checker.Fail(session.steps(), run.message());
    return res;
  }
  const double now = session.now();

  // The end: everyone ended, every block free on both tiers, nobody lost.
  const SchedulerCounters& k = sched.counters();
  res.preemptions_recompute = k.preemptions_recompute;
  res.preemptions_swap = k.preemptions_swap;
  res.swapped_out_blocks = k.swapped_out_blocks;
  res.swapped_in_blocks = k.swapped_in_blocks;
  res.prefix_hit_tokens = k.prefix_hit_tokens;
  res.peak_device_used = k.peak_device_used;
  res.simulated_s = now;
  res.over_budget_steps = exec.over_budget_steps();
  const BlockManager& bm = sched.blocks();
  res.evictions = bm.evictions();
  if (sched.HasUnfinished())
    checker.Fail(-1, "requests left unfinished: " + std::to_string(sched.num_waiting()) + " waiting, " +
                 std::to_string(sched.num_running()) + " running, " + std::to_string(sched.num_swapped()) +
                 " swapped");
  if (bm.device_free() != bm.device_total())
    checker.Fail(-1, "device blocks not freed: " + std::to_string(bm.device_total() - bm.device_free()) + " of " +
                 std::to_string(bm.device_total()) + " still held");
  if (bm.evictable_blocks() != bm.cached_blocks())
    checker.Fail(-1, "prefix cache: " + std::to_string(bm.cached_blocks() - bm.evictable_blocks()) + " of " +
                 std::to_string(bm.cached_blocks()) + " cached blocks still referenced");
  if (Status inv = bm.CheckInvariants(); !inv.ok()) checker.Fail(-1, "at the end: " + inv.message());
  if (bm.host_free() != bm.host_total())
    checker.Fail(-1, "host blocks not freed: " + std::to_string(bm.host_total() - bm.host_free()) + " of " +
                 std::to_string(bm.host_total()) + " still held");
  if (res.added != static_cast<int64_t>(reqs.size()) || res.finished + res.rejected != res.added)
    checker.Fail(-1, "requests lost: " + std::to_string(reqs.size()) + " in the workload, " + std::to_string(res.added) +
                 " added, " + std::to_string(res.finished) + " finished, " + std::to_string(res.rejected) +
                 " rejected");
  if (k.rejected != res.rejected)
    checker.Fail(-1, "the rejected counter says " + std::to_string(k.rejected) + ", " + std::to_string(res.rejected) +
                 " requests ended rejected");
  if (k.swapped_in_blocks > k.swapped_out_blocks)
    checker.Fail(-1, "more blocks swapped in (" + std::to_string(k.swapped_in_blocks) + ") than out (" +
                 std::to_string(k.swapped_out_blocks) + ")");
  if (Status s = bm.CheckInvariants(); !s.ok()) checker.Fail(-1, "block manager at the end: " + s.message());
  if (Status s = sched.CheckInvariants(); !s.ok()) checker.Fail(-1, "scheduler at the end: " + s.message());
  return res;
}

}  // namespace cacheopt::soak
