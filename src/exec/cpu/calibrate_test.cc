#include "exec/cpu/calibrate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "cacheopt/session.h"
#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"
#include "exec/cpu/cpu_executor.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

class CalibrateTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = MakeRandomModel("tiny", 5);
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = new Model(std::move(*m));
  }
  static void TearDownTestSuite() { delete model_; }
  static int64_t KvBytesPerToken() { return KvArena::BlockBytes(model_->config, 1); }
  static Model* model_;
};
Model* CalibrateTest::model_ = nullptr;

double Predict(const CpuCostModel& m, std::vector<SeqWork> w) { return m.StepTime(w); }

TEST_F(CalibrateTest, PredictionsArePositiveAndOrdered) {
  ThreadPool pool(2);
  Forward fwd(*model_, GemmMode::kInvariant, &pool);
  CpuCostModel cost(KvBytesPerToken());
  CalibrationReport rep;
  ASSERT_TRUE(Calibrate(fwd, 16, &cost, {}, &rep).ok());
  std::printf("[ calibration: %d shapes, %d skipped, %.3f s; coeffs %.3g %.3g %.3g %.3g; copy %.3g B/s ]\n", rep.shapes,
              rep.skipped, rep.seconds, cost.coeffs()[0], cost.coeffs()[1], cost.coeffs()[2], cost.coeffs()[3],
              cost.copy_bytes_per_s());
  EXPECT_GE(rep.shapes, 8);
  const double p16 = cost.SoloPrefillTime(16), p256 = cost.SoloPrefillTime(256);
  const double d1 = Predict(cost, {{1, 100}});
  const double d8 = Predict(cost, std::vector<SeqWork>(8, SeqWork{1, 100}));
  EXPECT_GT(p16, 0);
  EXPECT_GT(d1, 0);
  EXPECT_GT(p256, p16);
  EXPECT_GT(d8, d1);
  EXPECT_LT(p256, 1.0);  // a 260K-parameter model
  EXPECT_GT(cost.copy_bytes_per_s(), 1e7);
  EXPECT_GT(cost.SwapTime(4, 0, 16), 0);
}

// `cacheopt profile` writes what was timed: every shape once (extra shapes
// clamped into the context, duplicates dropped) and both copy directions.
TEST_F(CalibrateTest, ReportsEveryTimedShapeAndCopy) {
  ThreadPool pool(1);
  Forward fwd(*model_, GemmMode::kInvariant, &pool);
  CpuCostModel cost(KvBytesPerToken());
  CalibrateOptions o;
  o.prefill_sizes = {8};
  o.decode_batches = {2};
  o.decode_contexts = {16};
  const int32_t ctx = model_->config.context;
  o.extra_shapes = {{{4, 0}, {1, 20}}, {{8, 0}}, {{ctx + 50, 0}}, {}};
  o.max_seconds = 60;
  CalibrationReport rep;
  ASSERT_TRUE(Calibrate(fwd, 16, &cost, o, &rep).ok());
  // prefill 8, 2 decodes, the mixed default, the extra mixed one, and the
  // over-long prefill clamped to the context; {8,0} is a duplicate, {} invalid.
  EXPECT_EQ(rep.shapes, 5);
  ASSERT_EQ(rep.steps.size(), 5u);
  bool saw_mixed = false, saw_clamped = false;
  for (const CalibrationStep& s : rep.steps) {
    EXPECT_GT(s.seconds, 0);
    saw_mixed = saw_mixed || (s.seqs.size() == 2 && s.seqs[0].num_tokens == 4 && s.seqs[1].context_before == 20);
    saw_clamped = saw_clamped || (s.seqs.size() == 1 && s.seqs[0].num_tokens == ctx);
  }
  EXPECT_TRUE(saw_mixed);
  EXPECT_TRUE(saw_clamped);
  ASSERT_EQ(rep.copies.size(), 2u);
  EXPECT_TRUE(rep.copies[0].to_host);
  EXPECT_FALSE(rep.copies[1].to_host);
  EXPECT_EQ(rep.copies[0].blocks, o.copy_blocks);
}

TEST_F(CalibrateTest, PredictsAMeasuredStepWithinAnOrderOfMagnitude) {
  ThreadPool pool(2);
  Forward fwd(*model_, GemmMode::kInvariant, &pool);
  CpuCostModel cost(KvBytesPerToken());
  ASSERT_TRUE(Calibrate(fwd, 16, &cost, {}).ok());
  // A shape calibration did not run: prefill 100.
  KvArena kv(model_->config, 16, 8, 0);
  std::vector<int32_t> toks(100, 7), blocks = {0, 1, 2, 3, 4, 5, 6};
  std::vector<float> logits;
  std::vector<double> t;
  for (int i = 0; i < 5; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    fwd.Run(std::vector<ForwardSeq>{{toks, 0, blocks, true}}, &kv, &logits);
    t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  const double predicted = cost.SoloPrefillTime(100);
  EXPECT_GT(predicted, t[2] / 10) << t[2];
  EXPECT_LT(predicted, t[2] * 10) << t[2];
}

TEST_F(CalibrateTest, BudgetsBoundTheWork) {
  ThreadPool pool(1);
  Forward fwd(*model_, GemmMode::kInvariant, &pool);
  CpuCostModel cost(KvBytesPerToken());
  CalibrateOptions o;
  o.max_scratch_bytes = 20 * KvArena::BlockBytes(model_->config, 16);  // drops 8 x 256 decodes
  CalibrationReport rep;
  ASSERT_TRUE(Calibrate(fwd, 16, &cost, o, &rep).ok());
  EXPECT_GT(rep.skipped, 0);
  EXPECT_GT(rep.shapes, 0);
  o.max_scratch_bytes = 1;  // nothing fits
  EXPECT_FALSE(Calibrate(fwd, 16, &cost, o).ok());
  o = {};
  o.reps = 0;
  EXPECT_FALSE(Calibrate(fwd, 16, &cost, o).ok());
}

// Steps served with a cost model attached are observed; every 32 the fit is
// redone, so a deliberately wrong fit moves towards the machine.
TEST_F(CalibrateTest, OnlineRefinementChangesTheFit) {
  CpuCostModel cost(KvBytesPerToken());
  const CpuCostModel::Coeffs wrong = {1, 1, 1, 1};
  cost.SetCoeffs(wrong, 0);
  SchedulerConfig c;
  c.device_blocks = 64;
  c.host_blocks = 0;
  c.max_model_len = model_->config.context;
  auto sched = MakeScheduler("vllm", c, &cost);
  ASSERT_TRUE(sched.ok());
  CpuExecutorOptions o;
  o.device_blocks = c.device_blocks;
  o.threads = 2;
  o.cost_model = &cost;
  CpuExecutor exec(*model_, o);
  std::vector<RequestSpec> specs;
  for (int64_t id = 0; id < 2; ++id) {
    SamplingParams p;
    p.eos_after = 40;
    p.ignore_eos = true;
    ASSERT_TRUE(exec.AddSequence(id, {1, 5, 9, static_cast<int32_t>(20 + id)}, p).ok());
    RequestSpec spec;
    spec.id = id;
    spec.prompt_tokens = 4;
    spec.max_tokens = 40;
    specs.push_back(spec);
  }
  Session session(sched->get(), &exec);
  ASSERT_TRUE(session.Run(specs, nullptr, RunOptions::Bounded(200)).ok());
  const int64_t steps = session.steps();
  EXPECT_GE(steps, 32);
  EXPECT_EQ(cost.observations(), steps);
  EXPECT_NE(cost.coeffs(), wrong);
  const double d = cost.SoloDecodeTime(20);
  EXPECT_GT(d, 0);
  EXPECT_LT(d, 0.1);  // far from the wrong fit's ~40 s
}

}  // namespace
}  // namespace cacheopt
