// The engine on a real checkpoint: llama2.c's stories260K, through the
// model loaders, against the published greedy output and reference logits in
// ../shared/models/stories260K/README.md (both file formats).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "core/sched/scheduler.h"
#include "exec/cpu/cpu_executor.h"
#include "exec/cpu/forward.h"
#include "exec/sim/fixed_step_executor.h"
#include "model/model_loader.h"

namespace cacheopt {
namespace {

const std::string kBin = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/stories260K.bin";

const std::string kGguf = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/stories260K.gguf";

class Stories260KTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(GetParam())) GTEST_SKIP() << "no " << GetParam();
    auto m = LoadModel(GetParam(), "", /*context_override=*/512);
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = std::move(*m);
  }
  Model model_;
};

INSTANTIATE_TEST_SUITE_P(BothFormats, Stories260KTest, ::testing::Values(kBin, kGguf));

// README: logits for "Once upon a time" from a float64 reference (top ids
// and values, about 1e-3 of tolerance for fp32), and the sums of all logits.
TEST_P(Stories260KTest, MatchesReferenceLogits) {
  ThreadPool pool(2);
  KvArena arena(model_.config, 16, 4, 0);
  Forward fwd(model_, GemmMode::kInvariant, &pool);
  std::vector<int32_t> toks = {1, 403, 407, 261, 378}, blocks = {0};
  std::vector<float> last, all;
  fwd.Run(std::vector<ForwardSeq>{{toks, 0, blocks, true}}, &arena, &last, &all);
  const int32_t top[5] = {403, 407, 261, 378, 432};
  const double value[5] = {17.0235, 18.4600, 17.1370, 18.8744, 17.7994};
  const double sums[5] = {-1070.1722, -2162.1578, -2808.6861, -1423.0780, -2256.8525};
  const int32_t V = model_.config.vocab_size;
  for (int32_t p = 0; p < 5; ++p) {
    const float* row = &all[static_cast<size_t>(p) * V];
    int32_t best = 0;
    double sum = 0;
    for (int32_t i = 0; i < V; ++i) {
      if (row[i] > row[best]) best = i;
      sum += row[i];
    }
    EXPECT_EQ(best, top[p]) << p;
    EXPECT_NEAR(row[top[p]], value[p], 1e-3) << p;
    EXPECT_NEAR(sum, sums[p], 2e-2) << p;
  }
  // Second place at pos 0: 385 at 15.4062.
  EXPECT_NEAR(all[385], 15.4062, 1e-3);
}

// README: `run stories260K.bin -t 0 -n 200` from BOS alone, through the real
// scheduler and executor (three copies at once in a small pool, so they are
// preempted and swapped), must give the published ids.
TEST_P(Stories260KTest, GreedyStoryThroughTheScheduler) {
  const std::vector<int32_t> want = {
      403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338, 401, 396, 267, 337, 410, 408,
      419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261, 370, 432, 352, 266, 268, 388, 426,
      338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333, 415, 426, 13,  438, 310, 439, 419,
      357, 336, 432, 313, 438, 310, 432, 278, 316, 439, 419, 298, 414, 267, 265, 282, 295, 433, 426, 436, 317, 286,
      296, 418, 269, 279, 292, 416, 439, 413, 409, 416, 327, 263, 415, 294, 267, 400, 426, 338, 336, 432, 313, 442,
      391, 267, 337, 335, 364, 420, 268, 388, 432, 398, 359, 280, 303, 439, 413, 272, 417, 264, 312, 426, 436, 13,
      438, 310, 286, 296, 418, 269, 279, 292, 416, 439, 413, 409, 416, 327, 263, 415, 294, 267, 400, 426, 338, 336,
      432, 313, 442, 439, 423, 262, 304, 420, 422, 432, 317, 426, 359, 279, 292, 416, 439, 413, 409, 416, 327, 263,
      415, 294, 267, 400, 426, 436, 13,  438, 310, 279, 292, 416, 439, 413, 391, 267, 281, 421, 427, 311, 357, 432,
      384, 358};
  const int32_t steps = static_cast<int32_t>(want.size());  // tokens after BOS
  SchedulerConfig c;
  c.block_size = 16;
  c.device_blocks = 30;  // 480 positions for 3 x 200: someone must give way
  c.host_blocks = 40;
  c.max_model_len = 512;
  c.preemption_mode = PreemptMode::kSwap;
  LinearCostModel cost;
  auto sched = MakeScheduler("vllm", c, &cost);
  ASSERT_TRUE(sched.ok());
  CpuExecutorOptions o;
  o.device_blocks = c.device_blocks;
  o.host_blocks = c.host_blocks;
  o.block_size = c.block_size;
  CpuExecutor exec(model_, o);
  std::vector<RequestSpec> specs;
  for (int64_t id = 0; id < 3; ++id) {
    SamplingParams p;  // greedy; the story does not emit BOS within 200
    p.eos_after = steps;
    ASSERT_TRUE(exec.AddSequence(id, {1}, p).ok());
    RequestSpec spec;
    spec.id = id;
    spec.prompt_tokens = 1;
    spec.max_tokens = steps;
    specs.push_back(spec);
  }
  struct Observer : RunObserver {
    int64_t preempted = 0;
    Status OnStep(const StepReport&, StepEvents& events) override {
      for (const FinishEvent& f : events.finished) preempted += f.record->Preemptions();
      return Status::Ok();
    }
  } observer;
  Session session(sched->get(), &exec);
  ASSERT_TRUE(session.Run(specs, &observer, RunOptions::Bounded(2000)).ok());
  EXPECT_FALSE((*sched)->HasUnfinished());
  const int64_t preempted = observer.preempted;
  EXPECT_GT(preempted, 0);
  for (int64_t id = 0; id < 3; ++id) EXPECT_EQ(exec.GeneratedTokens(id), want) << id;
}

}  // namespace
}  // namespace cacheopt
