// No scheduling code may know a request's true output length: only the
// executor does, and it reveals it only by ending the sequence (EOS).
#include <gtest/gtest.h>

#include <sstream>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt {
namespace {

// The scheduler-side types carry no field that could hold the truth.
template <typename T>
concept HasOutputLength = requires(T t) { t.output_tokens; } || requires(T t) { t.true_output; } ||
                          requires(T t) { t.output_len; };
static_assert(!HasOutputLength<RequestSpec>);
static_assert(!HasOutputLength<Request>);

// Every step's decisions, as text, until request 0 emits `stop_after` tokens.
std::string Trace(const std::string& policy, int32_t true_len_of_0, int32_t stop_after) {
  SchedulerConfig c;
  c.block_size = 4;
  c.device_blocks = 120;
  c.host_blocks = 40;
  c.preemption_mode = PreemptMode::kSwap;
  LinearCostModel cost;
  auto s = MakeScheduler(policy, c, &cost);
  EXPECT_TRUE(s.ok());
  FixedStepExecutor exec;
  for (int i = 0; i < 6; ++i) {
    RequestSpec spec;
    spec.id = i;
    spec.prompt_tokens = 10 + 7 * i;
    spec.max_tokens = 420;  // reserve-max must fit a request in the pool
    exec.true_len[i] = i == 0 ? true_len_of_0 : 20 + 13 * i;
    (*s)->Add(spec);
  }
  std::ostringstream os;
  Session session(s->get(), &exec);
  double now = 0;
  const Request* r0 = nullptr;  // stays valid after it ends (the session keeps its record)
  StepReport step;
  for (int i = 0; i < 10000 && (*s)->HasUnfinished(); ++i) {
    EXPECT_TRUE(session.Step(now, &step).ok());
    for (const auto& q : step.plan->seqs) {
      if (q.request_id == 0 && r0 == nullptr) r0 = (*s)->Find(0);
      os << q.request_id << ":" << q.num_tokens << " ";
    }
    for (const auto& p : step.plan->preempted) os << "P" << p.request_id << " ";
    os << "\n";
    now = step.ran ? step.end_s : now;
    if (r0 != nullptr && r0->num_output >= stop_after) break;
  }
  return os.str();
}

TEST(TrueLengthTest, DecisionsDoNotDependOnTheTruthBeforeEos) {
  for (const std::string& policy : PolicyNames()) {
    // Request 0 ends at 40 or at 400 tokens: up to its 40th token, every
    // policy must decide exactly the same.
    EXPECT_EQ(Trace(policy, 40, 40), Trace(policy, 400, 40)) << policy;
    // And the runs do differ afterwards (the test can see a difference).
    EXPECT_NE(Trace(policy, 40, 41), Trace(policy, 400, 41)) << policy;
  }
}

}  // namespace
}  // namespace cacheopt
