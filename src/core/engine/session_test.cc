#include "cacheopt/session.h"
#include "core/sched/scheduler.h"

#include <gtest/gtest.h>

#include <map>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "exec/sim/fixed_step_executor.h"
#include "support/harness.h"

namespace cacheopt {
namespace {

RequestSpec Spec(int64_t id, int32_t prompt, int32_t max_tokens, double ttft_slo_s, double tbt_slo_s,
                 double arrival_s = 0) {
  RequestSpec s;
  s.id = id;
  s.arrival_s = arrival_s;
  s.prompt_tokens = prompt;
  s.max_tokens = max_tokens;
  s.ttft_slo_s = ttft_slo_s;
  s.tbt_slo_s = tbt_slo_s;
  return s;
}

struct Collect : RunObserver {
  std::map<int64_t, FinishEvent> done;
  int64_t tokens = 0;
  Status OnStep(const StepReport&, StepEvents& events) override {
    tokens += static_cast<int64_t>(events.tokens.size());
    for (FinishEvent& f : events.finished) done[f.record->spec.id] = std::move(f);
    return Status::Ok();
  }
};

class SessionTest : public ::testing::Test {
 protected:
  void Make(const std::string& policy, int32_t device_blocks) {
    auto made = MakeScheduler(policy, testing::SmallConfig(device_blocks), &cost_);
    ASSERT_TRUE(made.ok()) << made.status().message();
    sched_ = std::move(*made);
    session_ = std::make_unique<Session>(sched_.get(), &exec_, SessionOptions{.check_invariants = true});
  }
  LinearCostModel cost_;
  FixedStepExecutor exec_;  // 1 s per step
  SchedulerPtr sched_;
  std::unique_ptr<Session> session_;
};

TEST_F(SessionTest, FinishesCarryTheirReasonAndVerdict) {
  Make("vllm", 64);
  exec_.true_len = {{0, 3}, {1, 50}, {2, 3}};
  // 0 ends by EOS; 1 by its max_tokens cap; 2 misses a TTFT target of 0.5 s
  // (a step takes 1 s) and, with a TBT target below a step, its TBT too.
  const std::vector<RequestSpec> arrivals = {Spec(0, 8, 10, 5, 2), Spec(1, 8, 4, 5, 2), Spec(2, 8, 10, 0.5, 0.5)};
  Collect c;
  RunOptions ro;
  ro.tokens = true;
  ASSERT_TRUE(session_->Run(arrivals, &c, ro).ok());
  ASSERT_EQ(c.done.size(), 3u);
  EXPECT_EQ(c.done[0].reason, FinishReason::kStop);
  EXPECT_EQ(c.done[1].reason, FinishReason::kLength);
  EXPECT_EQ(c.done[1].record->num_output, 4);
  EXPECT_TRUE(c.done[0].slo.ttft_met && c.done[0].slo.tbt_met && c.done[0].slo.Good());
  EXPECT_FALSE(c.done[2].slo.ttft_met);
  EXPECT_FALSE(c.done[2].slo.tbt_met);
  EXPECT_EQ(c.tokens, 3 + 4 + 3);
  EXPECT_EQ(session_->submitted(), 3);
  EXPECT_DOUBLE_EQ(session_->now(), c.done[1].record->finish_s);
}

TEST_F(SessionTest, ARejectedRequestEndsRejectedAndMissed) {
  Make("vllm", 4);  // 16 tokens of KV
  exec_.true_len = {{0, 5}};
  Collect c;
  ASSERT_TRUE(session_->Run(std::vector<RequestSpec>{Spec(0, 40, 10, 5, 2)}, &c).ok());
  ASSERT_EQ(c.done.size(), 1u);
  EXPECT_EQ(c.done[0].reason, FinishReason::kRejected);
  EXPECT_FALSE(c.done[0].slo.ttft_met);
}

TEST_F(SessionTest, AbortEmitsItsFinishAtOnce) {
  Make("vllm", 64);
  exec_.true_len = {{7, 100}};
  session_->Submit(Spec(7, 8, 100, 5, 2));
  StepReport step;
  ASSERT_TRUE(session_->Step(0, &step).ok());
  EXPECT_TRUE(step.ran);
  EXPECT_EQ(session_->TakeTokens().size(), 1u);
  EXPECT_TRUE(session_->Abort(7, step.end_s));
  EXPECT_FALSE(session_->Abort(7, step.end_s));
  auto f = session_->TakeFinished();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].reason, FinishReason::kAbort);
  EXPECT_FALSE(session_->HasUnfinished());
  EXPECT_EQ(sched_->blocks().device_free(), 64);
}

TEST_F(SessionTest, IdleTimeJumpsToTheNextArrival) {
  Make("vllm", 64);
  exec_.true_len = {{0, 2}, {1, 2}};
  Collect c;
  ASSERT_TRUE(session_->Run(std::vector<RequestSpec>{Spec(0, 8, 10, 5, 2), Spec(1, 8, 10, 5, 2, 100)}, &c).ok());
  EXPECT_DOUBLE_EQ(c.done[1].record->first_token_s, 101);  // arrived at 100, one 1 s step
  EXPECT_EQ(session_->steps(), 4);                           // no step ran while idle
}

TEST_F(SessionTest, AStepLimitIsAnError) {
  Make("vllm", 64);
  exec_.true_len = {{0, 50}};
  Status s = session_->Run(std::vector<RequestSpec>{Spec(0, 8, 100, 5, 2)}, nullptr, RunOptions::Bounded(10));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("did not drain within 10 steps"), std::string::npos) << s.message();
}

TEST_F(SessionTest, AnObserverCanStopTheRun) {
  Make("vllm", 64);
  exec_.true_len = {{0, 50}};
  struct StopAtThree : RunObserver {
    Status OnStep(const StepReport& step, StepEvents&) override {
      return step.index == 2 ? Status::OutOfRange("enough") : Status::Ok();
    }
  } stop;
  Status s = session_->Run(std::vector<RequestSpec>{Spec(0, 8, 100, 5, 2)}, &stop);
  EXPECT_EQ(s.message(), "enough");
  EXPECT_EQ(session_->steps(), 3);
}

TEST(HarnessTest, KeepsWhatEnded) {
  testing::Harness h("sarathi", testing::SmallConfig(64));
  h.Add(0, 8, 2);
  h.RunToEnd();
  ASSERT_EQ(h.finished().size(), 1u);
  EXPECT_EQ(h.finished()[0].reason, FinishReason::kStop);
}

}  // namespace
}  // namespace cacheopt
