// Drives one policy step by step with the fake executor, keeping a copy of
// each step's schedule for assertions.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt::testing {

struct StepView {
  SchedulerOutput out;
  // Tokens scheduled for request `id` this step (0 if not scheduled).
  int32_t Tokens(int64_t id) const {
    for (const auto& s : out.seqs)
      if (s.request_id == id) return s.num_tokens;
    return 0;
  }
  bool Preempted(int64_t id) const {
    for (const auto& p : out.preempted)
      if (p.request_id == id) return true;
    return false;
  }
  int32_t NumPrefills() const {
    int32_t n = 0;
    for (const auto& s : out.seqs) n += s.prefill();
    return n;
  }
  int32_t NumDecodes() const { return static_cast<int32_t>(out.seqs.size()) - NumPrefills(); }
};

class Harness {
 public:
  Harness(const std::string& policy, const SchedulerConfig& config) {
    SchedulerConfig c = config;
    // The oracle estimators may read the fake executor's truth.
    c.truth = [this](int64_t id) {
      auto it = exec_.true_len.find(id);
      return it == exec_.true_len.end() ? 0 : it->second;
    };
    auto made = MakeScheduler(policy, c, &cost_);
    EXPECT_TRUE(made.ok()) << made.status().message();
    sched_ = std::move(made.value());
    session_ = std::make_unique<Session>(sched_.get(), &exec_, SessionOptions{.check_invariants = true});
  }

  Request* Add(int64_t id, int32_t prompt, int32_t true_len, int32_t max_tokens = 1000,
              std::shared_ptr<const std::vector<BlockHash>> block_hashes = nullptr,
              int64_t group = RequestSpec::kNoGroup) {
    RequestSpec spec;
    spec.group = group;
    spec.block_hashes = std::move(block_hashes);
    spec.id = id;
    spec.arrival_s = now_;
    spec.prompt_tokens = prompt;
    spec.max_tokens = max_tokens;
    exec_.true_len[id] = true_len;
    return session_->Submit(spec);
  }

  StepView Step() {
    StepReport step;
    Status s = session_->Step(now_, &step);
    EXPECT_TRUE(s.ok()) << s.message();
    now_ = step.end_s;
    (void)session_->TakeTokens();
    for (FinishEvent& f : session_->TakeFinished()) finished_.push_back(std::move(f));
    return StepView{*step.plan};
  }

  // Every request that has ended, with its reason and verdict, in order.
  const std::vector<FinishEvent>& finished() const { return finished_; }

  // Steps until nothing is left; returns the number of steps (bounded).
  int RunToEnd(int max_steps = 100000) {
    int n = 0;
    while (sched_->HasUnfinished() && n < max_steps) {
      Step();
      ++n;
    }
    return n;
  }

  Scheduler& sched() { return *sched_; }

 private:
  LinearCostModel cost_;
  FixedStepExecutor exec_;
  SchedulerPtr sched_;
  std::unique_ptr<Session> session_;
  std::vector<FinishEvent> finished_;
  double now_ = 0;
};

inline SchedulerConfig SmallConfig(int32_t device_blocks, int32_t host_blocks = 0, int32_t block_size = 4) {
  SchedulerConfig c;
  c.block_size = block_size;
  c.device_blocks = device_blocks;
  c.host_blocks = host_blocks;
  c.max_model_len = 4096;
  return c;
}

}  // namespace cacheopt::testing
