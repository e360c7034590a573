// Thousands of random workloads on every policy: random lengths, pool sizes
// from a few blocks to a few thousand, both tiers, arrivals over time. After
// every step the invariants hold; at the end every request has ended and
// every block is free.
#include <gtest/gtest.h>

#include <map>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/random/distributions.h"
#include "cacheopt/session.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt {
namespace {

struct Outcome {
  int64_t finished = 0, rejected = 0;
};

// `groups`: requests come as request groups of one to four members (the
// choices of one prompt: same prompt, cap and arrival), and under the
// policies that group, a step that first admits a waiting member admits
// every member that waited with it.
Outcome RunRandom(const std::string& policy, uint64_t seed, bool groups = false) {
  Rng rng = Rng::Stream(seed, 7);
  SchedulerConfig c;
  c.block_size = 1 + static_cast<int32_t>(UniformInt(rng, 32));
  c.device_blocks = 2 + static_cast<int32_t>(UniformInt(rng, UniformInt(rng, 2) ? 40 : 3000));
  c.host_blocks = static_cast<int32_t>(UniformInt(rng, 2 * c.device_blocks + 1));
  c.max_model_len = 64 + static_cast<int32_t>(UniformInt(rng, 2048));
  c.preemption_mode = UniformInt(rng, 2) ? PreemptMode::kSwap : PreemptMode::kRecompute;
  if (UniformInt(rng, 2)) c.token_budget = 1 + static_cast<int32_t>(UniformInt(rng, 600));
  if (UniformInt(rng, 2)) c.max_num_seqs = 1 + static_cast<int32_t>(UniformInt(rng, 64));
  // The knobs issue 13 added or changed: the KV watermark (vllm-v1's, the
  // common knob) and cacheopt's gap_guard, both values.
  if (UniformInt(rng, 2)) c.knobs["watermark"] = UniformInt(rng, 2) ? "0.05" : "0.2";
  if (policy == "cacheopt") c.knobs["gap_guard"] = UniformInt(rng, 2) ? "1" : "0";
  if (groups) {
    // Room for a whole group of the longest requests, so that every group
    // can enter whole (one that never could enters member by member).
    c.device_blocks = std::max(c.device_blocks, 5 * ((c.max_model_len + c.block_size - 1) / c.block_size) + 8);
    c.token_budget = 0;
    if (c.max_num_seqs > 0) c.max_num_seqs = std::max(c.max_num_seqs, 4);
  }
  LinearCostModel cost;
  auto made = MakeScheduler(policy, c, &cost);
  EXPECT_TRUE(made.ok()) << made.status().message();
  Scheduler& s = **made;
  FixedStepExecutor exec;

  int n = 1 + static_cast<int>(UniformInt(rng, 60));
  std::vector<RequestSpec> specs;
  double t = 0;
  for (int i = 0; i < n; ++i) {
    RequestSpec spec;
    spec.id = i;
    t += UniformInt(rng, 3) == 0 ? 0 : Exponential(rng, 0.5);
    spec.arrival_s = t;
    // (A group's prompts fit one budget together: max(max_model_len, 2048).)
    spec.prompt_tokens = 1 + static_cast<int32_t>(UniformInt(rng, (groups ? c.max_model_len / 4 : c.max_model_len) - 1));
    spec.max_tokens = 1 + static_cast<int32_t>(UniformInt(rng, c.max_model_len - spec.prompt_tokens));
    exec.true_len[i] = 1 + static_cast<int32_t>(UniformInt(rng, c.max_model_len));
    if (groups) {
      spec.group = i;
      const int members = 1 + static_cast<int>(UniformInt(rng, 4));
      for (int k = 1; k < members && i + 1 < n; ++k) {
        specs.push_back(spec);
        spec.id = ++i;
        exec.true_len[i] = 1 + static_cast<int32_t>(UniformInt(rng, c.max_model_len));
      }
    }
    specs.push_back(spec);
  }
  // Every step checks the invariants; each request that ends is checked.
  struct Observer : RunObserver {
    Outcome o;
    const Scheduler* s = nullptr;
    const std::vector<RequestSpec>* specs = nullptr;
    bool whole_groups = false;
    std::map<int64_t, RequestState> last;  // group members' states after the last step
    Status OnStep(const StepReport&, StepEvents& events) override {
      if (whole_groups) {
        // Per group: was a member that waited before this step admitted,
        // and does one that waited before still wait?
        std::map<int64_t, std::pair<bool, bool>> seen;
        std::map<int64_t, RequestState> now;
        for (const RequestSpec& spec : *specs) {
          const Request* r = s->Find(spec.id);
          if (r == nullptr || spec.group == RequestSpec::kNoGroup) continue;
          now[spec.id] = r->state;
          auto before = last.find(spec.id);
          // First admissions only: a group that outgrew the pool by itself
          // yields member by member and may come back so (PreemptGroup).
          if (before == last.end() || before->second != RequestState::kWaiting || r->Preemptions() > 0) continue;
          auto& [admitted, still] = seen[spec.group];
          admitted |= r->state == RequestState::kRunning;
          still |= r->state == RequestState::kWaiting;
        }
        for (const auto& [group, st] : seen) {
          if (!(st.first && st.second)) continue;
          std::string states;
          for (const auto& [id, state] : now)
            if (s->Find(id)->spec.group == group)
              states += " " + std::to_string(id) + ":" +
                        (last.count(id) ? std::string(ToString(last[id])) : std::string("new")) + "->" +
                        std::string(ToString(state));
          return Status::OutOfRange("group " + std::to_string(group) + " admitted in part:" + states);
        }
        last = std::move(now);
      }
      for (const FinishEvent& f : events.finished) {
        const Request& r = *f.record;
        if (r.state == RequestState::kFinished) {
          ++o.finished;
          EXPECT_LE(r.num_output, r.spec.max_tokens);
          EXPECT_GE(r.first_token_s, r.spec.arrival_s);
        } else {
          ++o.rejected;
        }
      }
      return Status::Ok();
    }
  } observer;
  observer.s = &s;
  observer.specs = &specs;
  observer.whole_groups = groups && (policy == "vllm" || policy == "cacheopt");
  Session session(&s, &exec, {.check_invariants = true});
  Status run = session.Run(specs, &observer, RunOptions::Bounded(200000));
  if (!run.ok()) {
    ADD_FAILURE() << policy << " seed " << seed << ": " << run.message();
    return {};
  }
  EXPECT_FALSE(s.HasUnfinished()) << policy << " seed " << seed << " did not drain: blocks "
                                  << c.device_blocks << "x" << c.block_size << " host " << c.host_blocks
                                  << " ctx " << c.max_model_len << " seqs " << c.max_num_seqs << " budget "
                                  << c.token_budget << " waiting " << s.num_waiting() << " running "
                                  << s.num_running() << " swapped " << s.num_swapped();
  EXPECT_EQ(s.blocks().device_free(), c.device_blocks) << policy << " seed " << seed;
  EXPECT_EQ(s.blocks().host_free(), c.host_blocks) << policy << " seed " << seed;
  const Outcome& o = observer.o;
  EXPECT_EQ(o.finished + o.rejected, n);
  return o;
}

// 300 workloads per policy; 60 under ASan+UBSan, where each runs ~30x
// slower (the release build runs all 300, and `cacheopt soak` runs millions
// of steps more).
#ifdef CACHEOPT_SANITIZED_BUILD
constexpr uint64_t kWorkloadsPerPolicy = 60;
#else
constexpr uint64_t kWorkloadsPerPolicy = 300;
#endif

TEST(SchedulerPropertyTest, RandomWorkloadsKeepInvariantsAndDrain) {
  int64_t finished = 0;
  for (const std::string& policy : PolicyNames()) {
    for (uint64_t seed = 1; seed <= kWorkloadsPerPolicy; ++seed) {
      Outcome o = RunRandom(policy, seed);
      finished += o.finished;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(finished, 0);
}

TEST(SchedulerPropertyTest, RandomRequestGroupsKeepInvariantsDrainAndStayWhole) {
  int64_t finished = 0;
  for (const std::string& policy : PolicyNames()) {
    for (uint64_t seed = 1; seed <= kWorkloadsPerPolicy / 2; ++seed) {
      Outcome o = RunRandom(policy, seed, /*groups=*/true);
      finished += o.finished;
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(finished, 0);
}

}  // namespace
}  // namespace cacheopt
