#include "exec/cpu/cpu_executor.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/session.h"
#include "core/kv/block_manager.h"
#include "core/sched/scheduler.h"
#include "exec/cpu/test_model.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt {
namespace {

constexpr int32_t kBlockSize = 4;

struct Req {
  int64_t id;
  std::vector<int32_t> prompt;
  int32_t out_len;  // eos_after: the sequence's true length
};

std::vector<Req> Workload(int32_t vocab) {
  std::vector<Req> reqs;
  uint64_t s = 17;
  for (int64_t id = 0; id < 7; ++id) {
    Req r{id, {}, 10 + static_cast<int32_t>((id * 7) % 19)};
    int32_t n = 5 + static_cast<int32_t>((id * 11) % 26);
    for (int32_t i = 0; i < n; ++i) {
      s = SplitMixHash(s);
      r.prompt.push_back(static_cast<int32_t>(s % static_cast<uint64_t>(vocab)));
    }
    reqs.push_back(r);
  }
  return reqs;
}

struct RunOut {
  std::map<int64_t, std::vector<int32_t>> tokens;
  std::map<int64_t, std::vector<float>> last_logits;
  int64_t preempt_recompute = 0, preempt_swap = 0, blocks_copied = 0, partial_prefills = 0;
};

// Serves `reqs` with `policy` through a Session and the CPU executor.
RunOut Serve(const Model& m, const std::string& policy, PreemptMode mode, int32_t device_blocks,
             const std::vector<Req>& reqs, int32_t token_budget = 0) {
  SchedulerConfig c;
  c.block_size = kBlockSize;
  c.device_blocks = device_blocks;
  c.host_blocks = mode == PreemptMode::kSwap ? 64 : 0;
  c.max_model_len = 256;
  c.preemption_mode = mode;
  c.token_budget = token_budget;
  LinearCostModel cost;
  auto made = MakeScheduler(policy, c, &cost);
  EXPECT_TRUE(made.ok()) << made.status().message();
  Scheduler& sched = **made;
  CpuExecutorOptions o;
  o.device_blocks = c.device_blocks;
  o.host_blocks = c.host_blocks;
  o.block_size = c.block_size;
  o.threads = 2;
  o.keep_logits = true;
  CpuExecutor exec(m, o);
  std::vector<RequestSpec> specs;
  for (const Req& r : reqs) {
    SamplingParams p;  // greedy
    p.eos_after = r.out_len;
    p.ignore_eos = true;
    EXPECT_TRUE(exec.AddSequence(r.id, r.prompt, p).ok());
    RequestSpec spec;
    spec.id = r.id;
    spec.prompt_tokens = static_cast<int32_t>(r.prompt.size());
    spec.max_tokens = r.out_len + 8;  // the executor's EOS ends it first
    spec.ttft_slo_s = 10;
    spec.tbt_slo_s = 1;
    specs.push_back(spec);
  }
  struct Observer : RunObserver {
    const std::string* policy;
    CpuExecutor* exec;
    RunOut out;
    Status OnStep(const StepReport& step, StepEvents& events) override {
      for (const ScheduledSeq& q : step.plan->seqs) out.partial_prefills += q.prefill() && !q.emits_token;
      for (const FinishEvent& f : events.finished) {
        const Request& r = *f.record;
        EXPECT_EQ(r.state, RequestState::kFinished) << *policy << " request " << r.spec.id;
        out.preempt_recompute += r.preemptions_recompute;
        out.preempt_swap += r.preemptions_swap;
        out.tokens[r.spec.id] = exec->GeneratedTokens(r.spec.id);
        if (const std::vector<float>* l = exec->LastLogits(r.spec.id)) out.last_logits[r.spec.id] = *l;
        exec->RemoveSequence(r.spec.id);
      }
      return Status::Ok();
    }
  } observer;
  observer.policy = &policy;
  observer.exec = &exec;
  Session session(&sched, &exec, {.check_invariants = true});
  Status run = session.Run(specs, &observer, RunOptions::Bounded(5000));
  EXPECT_TRUE(run.ok()) << run.message();
  EXPECT_FALSE(sched.HasUnfinished()) << policy;
  RunOut& out = observer.out;
  out.blocks_copied = exec.arena().blocks_copied();
  return out;
}

class CpuExecutorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model_ = new Model(cputest::RandomModel(cputest::TinyConfig(), 7));
    reqs_ = new std::vector<Req>(Workload(model_->config.vocab_size));
    alone_ = new std::map<int64_t, RunOut>;
    for (const Req& r : *reqs_) (*alone_)[r.id] = Serve(*model_, "vllm", PreemptMode::kRecompute, 200, {r});
  }
  static void TearDownTestSuite() {
    delete alone_;
    delete reqs_;
    delete model_;
  }

  // Every request's tokens and final logits equal its solo run's, bitwise.
  static void ExpectSameAsAlone(const RunOut& got, const std::string& what) {
    for (const Req& r : *reqs_) {
      const RunOut& solo = alone_->at(r.id);
      EXPECT_EQ(got.tokens.at(r.id), solo.tokens.at(r.id)) << what << " request " << r.id;
      EXPECT_EQ(static_cast<int32_t>(got.tokens.at(r.id).size()), r.out_len) << what;
      const std::vector<float>& a = got.last_logits.at(r.id);
      const std::vector<float>& b = solo.last_logits.at(r.id);
      ASSERT_EQ(a.size(), b.size());
      EXPECT_EQ(std::memcmp(a.data(), b.data(), sizeof(float) * a.size()), 0) << what << " request " << r.id;
    }
  }

  static Model* model_;
  static std::vector<Req>* reqs_;
  static std::map<int64_t, RunOut>* alone_;
};
Model* CpuExecutorTest::model_ = nullptr;
std::vector<Req>* CpuExecutorTest::reqs_ = nullptr;
std::map<int64_t, RunOut>* CpuExecutorTest::alone_ = nullptr;

TEST_F(CpuExecutorTest, SoloRunsAreUntouchedByPreemption) {
  for (const auto& [id, run] : *alone_) {
    EXPECT_EQ(run.preempt_recompute + run.preempt_swap, 0) << id;
    EXPECT_EQ(run.blocks_copied, 0);
  }
}

// (c) A device tier far too small: vLLM swaps requests out and back in, and
// every token still matches the request's solo run.
TEST_F(CpuExecutorTest, VllmSwapPreemptionKeepsTokens) {
  RunOut r = Serve(*model_, "vllm", PreemptMode::kSwap, 24, *reqs_);
  EXPECT_GT(r.preempt_swap, 0);
  EXPECT_GT(r.blocks_copied, 0);
  std::printf("[ vllm swap: %lld swap preemptions, %lld blocks copied ]\n", static_cast<long long>(r.preempt_swap),
              static_cast<long long>(r.blocks_copied));
  ExpectSameAsAlone(r, "vllm swap");
}

TEST_F(CpuExecutorTest, VllmRecomputePreemptionKeepsTokens) {
  RunOut r = Serve(*model_, "vllm", PreemptMode::kRecompute, 24, *reqs_);
  EXPECT_GT(r.preempt_recompute, 0);
  std::printf("[ vllm recompute: %lld recompute preemptions ]\n", static_cast<long long>(r.preempt_recompute));
  ExpectSameAsAlone(r, "vllm recompute");
}

// Chunked prefill (a small token budget) mixed with decodes in one batch.
TEST_F(CpuExecutorTest, ChunkedPrefillKeepsTokens) {
  RunOut r = Serve(*model_, "vllm-v1", PreemptMode::kRecompute, 24, *reqs_, 8);
  EXPECT_GT(r.partial_prefills, 0);
  ExpectSameAsAlone(r, "vllm-v1 budget 8");
}

// Every policy, both preemption modes: same tokens as alone.
TEST_F(CpuExecutorTest, EveryPolicyKeepsTokens) {
  for (const std::string& policy : PolicyNames()) {
    for (PreemptMode mode : {PreemptMode::kSwap, PreemptMode::kRecompute}) {
      RunOut r = Serve(*model_, policy, mode, 24, *reqs_);
      std::printf("[ %-11s %-9s: %lld swap / %lld recompute preemptions, %lld blocks copied ]\n", policy.c_str(),
                  mode == PreemptMode::kSwap ? "swap" : "recompute", static_cast<long long>(r.preempt_swap),
                  static_cast<long long>(r.preempt_recompute), static_cast<long long>(r.blocks_copied));
      ExpectSameAsAlone(r, policy);
    }
  }
}

TEST_F(CpuExecutorTest, SequenceBookkeeping) {
  CpuExecutorOptions o;
  o.device_blocks = 4;
  CpuExecutor exec(*model_, o);
  EXPECT_FALSE(exec.AddSequence(1, {}, {}).ok());
  EXPECT_FALSE(exec.AddSequence(1, {5, model_->config.vocab_size}, {}).ok());
  SamplingParams bad;
  bad.top_p = 2;
  EXPECT_FALSE(exec.AddSequence(1, {5}, bad).ok());
  ASSERT_TRUE(exec.AddSequence(1, {5, 6}, {}).ok());
  EXPECT_FALSE(exec.AddSequence(1, {5}, {}).ok());
  ASSERT_NE(exec.Tokens(1), nullptr);
  EXPECT_EQ(*exec.Tokens(1), (std::vector<int32_t>{5, 6}));
  EXPECT_TRUE(exec.GeneratedTokens(1).empty());
  EXPECT_EQ(exec.LastLogits(1), nullptr);
  exec.RemoveSequence(1);
  EXPECT_EQ(exec.Tokens(1), nullptr);
  EXPECT_EQ(exec.threads(), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

// Execute on a hand-built step: duration is measured, tokens are appended
// and the stop id (the model's, by default) ends the sequence.
TEST_F(CpuExecutorTest, ExecuteFillsResults) {
  BlockManager blocks(8, 4, kBlockSize);
  int32_t slot = blocks.NewSlot();
  ASSERT_TRUE(blocks.GrowDevice(slot, 6));
  CpuExecutorOptions o;
  o.device_blocks = 8;
  o.host_blocks = 4;
  o.block_size = kBlockSize;
  CpuExecutor exec(*model_, o);
  SamplingParams p;
  p.eos_after = 2;
  ASSERT_TRUE(exec.AddSequence(3, {4, 9, 11, 20, 1}, p).ok());
  SchedulerOutput step;
  step.seqs.push_back({.request_id = 3, .num_tokens = 5, .emits_token = true});
  step.block_ids = blocks.table(slot).device;
  step.block_offsets = {0, static_cast<int32_t>(step.block_ids.size())};
  ExecutorOutput out;
  exec.Execute(step, &out);
  ASSERT_EQ(out.results.size(), 1u);
  EXPECT_GT(out.duration_s, 0);
  EXPECT_GE(out.results[0].token, 0);
  EXPECT_FALSE(out.results[0].eos && out.results[0].token != model_->config.stop_ids[0]);
  EXPECT_EQ(exec.Tokens(3)->size(), 6u);
  // A copy issued ahead of need is performed too (before the step runs).
  const int32_t first = blocks.table(slot).device[0];
  step.swap_out_ahead.push_back({first, 3});
  step.seqs[0] = {3, 1, 5, true, false, 1};
  exec.Execute(step, &out);
  EXPECT_TRUE(out.results[0].eos);  // eos_after = 2
  EXPECT_EQ(exec.GeneratedTokens(3).size(), 2u);
  EXPECT_EQ(exec.arena().blocks_copied(), 1);
  const KvArena& a = exec.arena();
  const int64_t floats = KvArena::BlockBytes(model_->config, kBlockSize) / 4;
  EXPECT_EQ(std::memcmp(a.Keys(KvTier::kDevice, first, 0, 0), a.Keys(KvTier::kHost, 3, 0, 0), floats * 4), 0);
}

}  // namespace
}  // namespace cacheopt
