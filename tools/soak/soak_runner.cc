#include "soak/soak_runner.h"

#include <algorithm>
#include <chrono>
#include <sstream>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/util/names.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"
#include "sim/setup.h"
#include "sim/shared_dir.h"

namespace cacheopt::soak {

void Tally::Add(const EpisodeResult& r) {
  ++episodes;
  steps += r.steps;
  executed_steps += r.executed_steps;
  requests += r.added;
  finished += r.finished;
  rejected += r.rejected;
  rejected_pool += r.rejected_pool;
  rejected_budget += r.rejected_budget;
  preemptions_recompute += r.preemptions_recompute;
  preemptions_swap += r.preemptions_swap;
  swapped_out_blocks += r.swapped_out_blocks;
  swapped_in_blocks += r.swapped_in_blocks;
  prefix_hit_tokens += r.prefix_hit_tokens;
  evictions += r.evictions;
  output_tokens += r.output_tokens;
  over_budget_steps += r.over_budget_steps;
  violations += r.violation ? 1 : 0;
}

std::string ReplayCommand(const SoakOptions& opts, int64_t index) {
  const DrawLimits defaults;
  std::ostringstream os;
  os << "cacheopt soak --seed " << opts.seed;
  if (!opts.policies.empty()) {
    os << " --policies ";
    for (size_t i = 0; i < opts.policies.size(); ++i) os << (i ? "," : "") << opts.policies[i];
  }
  if (opts.limits.max_device_blocks != defaults.max_device_blocks)
    os << " --max-device-blocks " << opts.limits.max_device_blocks;
  if (opts.limits.min_device_blocks != defaults.min_device_blocks)
    os << " --min-device-blocks " << opts.limits.min_device_blocks;
  if (opts.limits.max_requests != defaults.max_requests) os << " --max-requests " << opts.limits.max_requests;
  if (opts.limits.sim_share != defaults.sim_share) os << " --sim-share " << opts.limits.sim_share;
  os << " --replay-episode " << index << " --trace-steps";
  return os.str();
}

namespace {

Status CheckLimits(const DrawLimits& l) {
  if (l.min_device_blocks < 1 || l.max_device_blocks < l.min_device_blocks || l.max_device_blocks > (1 << 24))
    return Status::InvalidArgument("device blocks must satisfy 1 <= min <= max <= 16M, got " +
                                   std::to_string(l.min_device_blocks) + ".." + std::to_string(l.max_device_blocks));
  if (l.max_requests < 1) return Status::InvalidArgument("--max-requests must be >= 1");
  if (!(l.sim_share >= 0 && l.sim_share <= 1)) return Status::InvalidArgument("--sim-share must be in [0, 1]");
  if (l.max_model_len < 8) return Status::InvalidArgument("the context must be >= 8 tokens");
  return Status::Ok();
}

std::vector<CheckTimingBucket> TimingBuckets() {
  return {{2, 64, 0, 0, 0}, {64, 512, 0, 0, 0}, {512, 4096, 0, 0, 0}, {4096, 1 << 30, 0, 0, 0}};
}

}  // namespace

Result<SoakSummary> RunSoak(const SoakOptions& in) {
  const auto wall0 = std::chrono::steady_clock::now();
  SoakOptions opts = in;
  const std::vector<std::string> registered = PolicyNames();
  std::vector<std::string> policies = opts.policies.empty() ? registered : opts.policies;
  for (const std::string& p : policies)
    if (std::find(registered.begin(), registered.end(), p) == registered.end())
      return UnknownName("policy", p, registered);
  if (policies.empty()) return Status::InvalidArgument("no policy to soak");

  // The SimExecutor episodes' cost model: what `simulate` uses by default.
  SetupOptions so;
  so.model = opts.model;
  so.gpu = opts.gpu;
  so.shared_dir = FindSharedDir();
  auto setup = MakeSetup(so);
  if (!setup.ok()) return setup.status();
  const CostModel& sim_cost = *setup->cost;
  LinearCostModel fake_cost;
  opts.limits.max_model_len = std::min(opts.limits.max_model_len, setup->sched.max_model_len);
  opts.limits.sim_device_name = setup->sched.device_name;
  opts.limits.sim_device_memory_gib = setup->sched.device_memory_gib;
  if (Status s = CheckLimits(opts.limits); !s.ok()) return s;

  SoakSummary sum;
  sum.seed = opts.seed;
  sum.target_steps = opts.steps;
  sum.policies = policies;
  sum.limits = opts.limits;
  sum.cost_model = opts.model + " on " + opts.gpu + " (" +
                   (setup->notes.empty() ? "profiled tables" : "analytic roofline in part or all") + ")";
  sum.check_timing = TimingBuckets();
  sum.min_device_blocks_seen = opts.limits.max_device_blocks;

  std::vector<std::vector<Variant>> variants;
  for (const std::string& p : policies) {
    variants.push_back(PolicyVariants(p));
    sum.variants_per_policy[p] = static_cast<int64_t>(variants.back().size());
  }
  const int64_t num_policies = static_cast<int64_t>(policies.size());

  EpisodeRunOptions run;
  run.make_scheduler = opts.make_scheduler;
  run.max_steps = opts.max_steps_per_episode;
  const bool replay = opts.replay_episode >= 0;
  run.trace = replay ? opts.trace : nullptr;

  for (int64_t i = replay ? opts.replay_episode : 0; replay ? i == opts.replay_episode : sum.total.steps < opts.steps;
       ++i) {
    const size_t p = static_cast<size_t>(i % num_policies);
    const std::vector<Variant>& vs = variants[p];
    const Variant& v = vs[static_cast<size_t>((i / num_policies) % static_cast<int64_t>(vs.size()))];
    const EpisodeSpec e = DrawEpisode(policies[p], v, EpisodeSeed(opts.seed, i), i, opts.limits, sim_cost, fake_cost);
    if (replay && opts.trace != nullptr) *opts.trace << Describe(e) << "\n";
    const EpisodeResult r = RunEpisode(e, sim_cost, fake_cost, run);

    sum.total.Add(r);
    sum.by_policy[e.policy].Add(r);
    sum.by_variant[e.policy + " [" + e.variant + "]"].Add(r);
    for (const auto& [k, val] : e.config.knobs) ++sum.knob_episodes[e.policy + " " + k + "=" + val];
    ++sum.feature_episodes[std::string("executor ") + ToString(e.executor)];
    ++sum.feature_episodes[std::string("arrivals ") + ToString(e.arrival)];
    ++sum.feature_episodes[std::string("preemption mode ") +
                           (e.config.preemption_mode == PreemptMode::kSwap ? "swap" : "recompute")];
    ++sum.feature_episodes[e.config.host_blocks == 0 ? "host tier none" : "host tier 1..2x device"];
    ++sum.feature_episodes[e.config.token_budget > 0 ? "token budget drawn" : "token budget policy default"];
    ++sum.feature_episodes[e.config.max_num_seqs > 0 ? "max_num_seqs drawn" : "max_num_seqs policy default"];
    const int32_t dev = e.config.device_blocks;
    ++sum.feature_episodes[dev < 16 ? "device blocks 2-15" : dev < 256 ? "device blocks 16-255"
                           : dev < 2048 ? "device blocks 256-2047" : "device blocks 2048+"];
    if (e.pressure) ++sum.feature_episodes["pressure episodes"];
    if (e.request_groups > 0) ++sum.feature_episodes["episodes with request groups"];
    if (r.preemptions_swap > 0) ++sum.feature_episodes["episodes that swapped"];
    if (r.preemptions_recompute > 0) ++sum.feature_episodes["episodes that recomputed"];
    if (r.rejected > 0) ++sum.feature_episodes["episodes with rejections"];
    sum.min_device_blocks_seen = std::min(sum.min_device_blocks_seen, dev);
    sum.max_device_blocks_seen = std::max(sum.max_device_blocks_seen, dev);
    sum.max_host_blocks_seen = std::max(sum.max_host_blocks_seen, e.config.host_blocks);
    sum.longest_episode_steps = std::max(sum.longest_episode_steps, r.steps);

    sum.step_wall_s += r.step_wall_s;
    sum.check_wall_s += r.check_wall_s;
    const int64_t pool = static_cast<int64_t>(e.config.device_blocks) + e.config.host_blocks;
    for (CheckTimingBucket& b : sum.check_timing) {
      if (pool >= b.min_blocks && pool < b.max_blocks) {
        b.checks += r.steps;
        b.check_s += r.check_wall_s;
        b.step_s += r.step_wall_s;
      }
    }
    if (opts.episode_log != nullptr) {
      *opts.episode_log << Describe(e) << " -> steps " << r.steps << " finished " << r.finished << " rejected "
                        << r.rejected << " preempted " << r.preemptions_recompute << "+" << r.preemptions_swap
                        << (r.violation ? " VIOLATION: " + r.message : "") << "\n";
    }
    if (r.violation && sum.violations.size() < opts.max_violations_kept) {
      Violation viol;
      viol.episode = i;
      viol.seed = e.seed;
      viol.description = Describe(e);
      viol.step = r.violation_step;
      viol.message = r.message;
      viol.replay = ReplayCommand(opts, i);
      sum.violations.push_back(std::move(viol));
    }
  }
  sum.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  return sum;
}

}  // namespace cacheopt::soak
