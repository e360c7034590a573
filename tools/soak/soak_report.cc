#include "soak/soak_report.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace cacheopt::soak {

namespace {

std::string Pad(const std::string& s, size_t w) { return s.size() >= w ? s : s + std::string(w - s.size(), ' '); }

std::string Num(int64_t v, size_t w) {
  std::string s = std::to_string(v);
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

std::string Right(const std::string& s, size_t w) { return s.size() >= w ? s : std::string(w - s.size(), ' ') + s; }

void TallyHeader(std::ostream& os, const std::string& first, size_t w) {
  os << "  " << Pad(first, w) << Right("episodes", 10) << Right("steps", 10) << Right("requests", 10)
     << Right("finished", 10) << Right("rejected", 10) << Right("preempt-rec", 13) << Right("preempt-swap", 14)
     << Right("swapped-out-blocks", 20) << Right("violations", 12) << "\n";
}

void TallyRow(std::ostream& os, const std::string& name, size_t w, const Tally& t) {
  os << "  " << Pad(name, w) << Num(t.episodes, 10) << Num(t.steps, 10) << Num(t.requests, 10)
     << Num(t.finished, 10) << Num(t.rejected, 10) << Num(t.preemptions_recompute, 13)
     << Num(t.preemptions_swap, 14) << Num(t.swapped_out_blocks, 20) << Num(t.violations, 12) << "\n";
}

}  // namespace

void PrintSummary(std::ostream& os, const SoakSummary& s) {
  const Tally& t = s.total;
  os << "soak: seed " << s.seed << ", target " << s.target_steps << " steps, " << s.policies.size()
     << " policies:";
  for (const auto& p : s.policies) os << " " << p << " (" << s.variants_per_policy.at(p) << " variants)";
  os << "\n";
  os << "executors: sim = SimExecutor + " << s.cost_model
     << "; fake = FixedStepExecutor (1 s steps) + LinearCostModel; " << static_cast<int>(s.limits.sim_share * 100 + 0.5)
     << "% sim\n";
  os << "draws: device blocks " << s.limits.min_device_blocks << ".." << s.limits.max_device_blocks << " (seen "
     << (t.episodes == 0 ? std::string("none") : std::to_string(s.min_device_blocks_seen) + ".." +
                                                     std::to_string(s.max_device_blocks_seen))
     << "), host blocks 0..2x device (max seen " << s.max_host_blocks_seen << "), context <= " << s.limits.max_model_len << ", <= " << s.limits.max_requests
     << " requests and <= " << s.limits.max_work_tokens << " prompt+output tokens per episode\n";
  os << "checks after every step: Scheduler::CheckInvariants (queues, tables, BlockManager::CheckInvariants), "
        "the step's plan (KV blocks for every fed token, limits, copies); at each episode's end: every request "
        "ended, output = min(EOS, max_tokens, context), rejections explained, every block free on both tiers (cached blocks unreferenced), "
        "none lost\n";
  os << "steps " << t.steps << " (" << t.executed_steps << " ran a batch), episodes " << t.episodes
     << ", longest episode " << s.longest_episode_steps << " steps\n";
  os << "requests " << t.requests << ": finished " << t.finished << ", rejected " << t.rejected << " (pool "
     << t.rejected_pool << ", token budget " << t.rejected_budget << "), " << t.output_tokens
     << " tokens generated; preemptions " << t.preemptions_recompute << " recompute, " << t.preemptions_swap
     << " swap (" << t.swapped_out_blocks << " blocks out, " << t.swapped_in_blocks << " in); prefix cache "
     << t.prefix_hit_tokens << " tokens hit, " << t.evictions << " blocks evicted\n";

  os << "per policy:\n";
  TallyHeader(os, "policy", 12);
  for (const auto& p : s.policies)
    if (auto it = s.by_policy.find(p); it != s.by_policy.end()) TallyRow(os, p, 12, it->second);
  size_t w = 12;
  for (const auto& [name, tally] : s.by_variant) w = std::max(w, name.size() + 1);
  os << "per variant:\n";
  TallyHeader(os, "policy [variant]", w);
  for (const auto& [name, tally] : s.by_variant) TallyRow(os, name, w, tally);

  os << "steps over an explicit --token-budget (a policy's choice, not a violation):";
  for (const auto& p : s.policies)
    if (auto it = s.by_policy.find(p); it != s.by_policy.end()) os << " " << p << " " << it->second.over_budget_steps;
  os << "\n";
  os << "coverage (episodes):\n";
  for (const auto& [name, n] : s.feature_episodes) os << "  " << Pad(name, 32) << Num(n, 8) << "\n";
  os << "knob settings (episodes):\n";
  for (const auto& [name, n] : s.knob_episodes) os << "  " << Pad(name, 48) << Num(n, 8) << "\n";

  os << "violations: " << t.violations << "\n";
  for (const Violation& v : s.violations) {
    os << "  VIOLATION " << v.description << "\n    at " << (v.step < 0 ? "the end" : "step " + std::to_string(v.step))
       << ": " << v.message << "\n    replay: " << v.replay << "\n";
  }
  if (t.violations > static_cast<int64_t>(s.violations.size()))
    os << "  (" << t.violations - static_cast<int64_t>(s.violations.size()) << " more not shown)\n";
  os << (t.violations == 0 ? "PASS" : "FAIL") << ": " << t.violations << " violations in " << t.steps
     << " steps\n";
}

void PrintTiming(std::ostream& os, const SoakSummary& s) {
  char buf[256];
  const double checks = static_cast<double>(s.total.steps);
  std::snprintf(buf, sizeof buf,
                "wall time %.1f s: engine steps %.1f s, invariant checks %.1f s (%.2f us per check), "
                "drawing and bookkeeping %.1f s\n",
                s.wall_s, s.step_wall_s, s.check_wall_s, checks > 0 ? 1e6 * s.check_wall_s / checks : 0.0,
                s.wall_s - s.step_wall_s - s.check_wall_s);
  os << buf;
  os << "full invariant check by pool size (device + host blocks):\n";
  for (const CheckTimingBucket& b : s.check_timing) {
    if (b.checks == 0) continue;
    std::string range = "[" + std::to_string(b.min_blocks) + ", " +
                        (b.max_blocks >= (1 << 30) ? std::string("inf") : std::to_string(b.max_blocks)) + ")";
    std::snprintf(buf, sizeof buf, "  %-14s %10lld checks  %7.2f us per check  %7.2f us per engine step\n",
                  range.c_str(), static_cast<long long>(b.checks), 1e6 * b.check_s / static_cast<double>(b.checks),
                  1e6 * b.step_s / static_cast<double>(b.checks));
    os << buf;
  }
}

}  // namespace cacheopt::soak
