#include "runtime/real_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <string>
#include <vector>

#include "model/random_model.h"
#include "runtime/runtime_test_util.h"

namespace cacheopt {
namespace {

using runtimetest::Greedy;
using runtimetest::Output;
using runtimetest::QuickOptions;
using runtimetest::RunAll;

bool Contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

class RealEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto m = MakeRandomModel("tiny", 11);
    ASSERT_TRUE(m.ok());
    model_ = new std::shared_ptr<const Model>(std::make_shared<Model>(std::move(*m)));
  }
  static void TearDownTestSuite() { delete model_; }

  static std::unique_ptr<RealEngine> Make(RealEngineOptions o) {
    auto e = RealEngine::Create(o);
    EXPECT_TRUE(e.ok()) << e.status().message();
    return e.ok() ? std::move(*e) : nullptr;
  }
  static std::vector<int32_t> Prompt(int32_t n, int32_t salt) {
    std::vector<int32_t> p = {1};
    for (int32_t i = 1; i < n; ++i) p.push_back(3 + (i * 37 + salt * 101) % 500);
    return p;
  }
  static std::shared_ptr<const Model>* model_;
};
std::shared_ptr<const Model>* RealEngineTest::model_ = nullptr;

TEST_F(RealEngineTest, CreateRejectsBadOptions) {
  RealEngineOptions o = QuickOptions(*model_, "fifo");
  auto e = RealEngine::Create(o);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(Contains(e.status().message(), "vllm")) << e.status().message();  // lists the valid ones
  o.policy = "vllm";
  o.knobs["no_such_knob"] = "1";
  EXPECT_FALSE(RealEngine::Create(o).ok());
  o.knobs.clear();
  o.block_size = 0;
  EXPECT_FALSE(RealEngine::Create(o).ok());
  o.block_size = 16;
  o.device_bytes = 100;  // less than a block
  EXPECT_FALSE(RealEngine::Create(o).ok());
  RealEngineOptions f;
  f.model.path = "/no/such/model.bin";
  e = RealEngine::Create(f);
  ASSERT_FALSE(e.ok());
  EXPECT_TRUE(Contains(e.status().message(), "/no/such/model.bin")) << e.status().message();
  f.model.path.clear();
  f.model.generate_config = "huge";
  EXPECT_FALSE(RealEngine::Create(f).ok());
}

TEST_F(RealEngineTest, GeneratedModelAndKvSizing) {
  RealEngineOptions o;
  o.model.generate_config = "micro";
  o.model.context = 64;
  o.device_bytes = 40 * KvArena::BlockBytes(*RandomModelConfig("micro"), 16);
  o.host_bytes = 0;
  o.calibrate.reps = 1;
  auto e = RealEngine::Create(o);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ((*e)->model().config.context, 64);
  EXPECT_EQ((*e)->session().kv().device_total, 40);
  EXPECT_EQ((*e)->session().kv().host_total, 40);  // default: as many as the device
  EXPECT_EQ((*e)->session().config().max_model_len, 64);
  EXPECT_GT((*e)->calibration().shapes, 0);
  EXPECT_GT((*e)->cost_model().SoloDecodeTime(10), 0);
}

TEST_F(RealEngineTest, OversizedRequestNamesTheSizes) {
  auto e = Make(QuickOptions(*model_));
  auto r = e->Submit(Prompt(500, 1), Greedy(), 100);
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_TRUE(Contains(m, "500") && Contains(m, "100") && Contains(m, "512")) << m;
  EXPECT_TRUE(e->Submit(Prompt(500, 1), Greedy(), 12).ok());  // exactly the context
  EXPECT_FALSE(e->Submit({}, Greedy(), 10).ok());
  EXPECT_FALSE(e->Submit({1}, Greedy(), 0).ok());
  EXPECT_FALSE(e->Submit({1, 512}, Greedy(), 4).ok());  // outside the vocabulary
  SamplingParams bad;
  bad.top_p = 0;
  EXPECT_FALSE(e->Submit({1}, bad, 4).ok());
  EXPECT_EQ(e->stats().waiting, 1u);
}

// Tokens arrive as events with their text; the finish reason says why.
TEST_F(RealEngineTest, EventsCarryTokensTextAndReason) {
  auto e = Make(QuickOptions(*model_));
  auto a = e->Submit(Prompt(9, 2), Greedy(-1, true), 12);
  auto b = e->Submit(Prompt(5, 3), Greedy(5, true), 12);
  ASSERT_TRUE(a.ok() && b.ok());
  std::map<int64_t, std::vector<double>> scheduled;
  auto out = RunAll(*e, [&](const RequestEvent& ev) {
    if (ev.first_scheduled_s >= 0) scheduled[ev.id].push_back(ev.first_scheduled_s);
  });
  ASSERT_EQ(out.size(), 2u);
  const auto& oa = out[*a];
  EXPECT_EQ(oa.tokens.size(), 12u);
  EXPECT_EQ(oa.finish.reason, FinishReason::kLength);
  EXPECT_EQ(oa.finish.prompt_tokens, 9);
  EXPECT_EQ(oa.finish.completion_tokens, 12);
  EXPECT_GE(oa.finish.first_token_s, oa.finish.arrival_s);
  EXPECT_GE(oa.finish.finish_s, oa.finish.first_token_s);
  std::string text;
  int32_t prev = Prompt(9, 2).back();
  for (int32_t t : oa.tokens) {
    if (t != 1 && t != 2) text += e->tokenizer().DecodePiece(prev, t);
    prev = t;
  }
  EXPECT_EQ(oa.text, text);
  EXPECT_EQ(out[*b].tokens.size(), 5u);
  EXPECT_EQ(out[*b].finish.reason, FinishReason::kStop);
  // Each request's first scheduling is reported once, between its arrival
  // and its first token.
  EXPECT_EQ(scheduled[*a].size(), 1u);
  EXPECT_EQ(scheduled[*b].size(), 1u);
  for (int64_t id : {*a, *b}) {
    ASSERT_FALSE(scheduled[id].empty());
    EXPECT_GE(scheduled[id][0], out[id].finish.arrival_s);
    EXPECT_LE(scheduled[id][0], out[id].finish.first_token_s);
  }
  EXPECT_EQ(ToString(out[*b].finish.reason), "stop");
  // Nothing leaks: the executor dropped both, every block is free.
  EXPECT_EQ(e->executor().Tokens(*a), nullptr);
  EXPECT_EQ(e->executor().Tokens(*b), nullptr);
  EXPECT_EQ(e->session().kv().device_used(), 0);
  const RealEngineStats s = e->stats();
  EXPECT_EQ(s.generated_tokens, 17);
  EXPECT_EQ(s.prompt_tokens, 14);
  EXPECT_GT(s.steps, 0);
  EXPECT_EQ(s.kv_usage, 0);
}

TEST_F(RealEngineTest, RequestLargerThanTheDeviceTierIsRejected) {
  RealEngineOptions o = QuickOptions(*model_);
  o.device_blocks = 2;  // 32 tokens
  auto e = Make(o);
  auto r = e->Submit(Prompt(40, 4), Greedy(), 8);
  ASSERT_TRUE(r.ok());
  auto out = RunAll(*e);
  EXPECT_EQ(out[*r].finish.reason, FinishReason::kRejected);
  EXPECT_TRUE(out[*r].tokens.empty());
  EXPECT_EQ(e->executor().Tokens(*r), nullptr);
}

// (d) Aborting frees KV on both tiers, running, waiting or swapped.
TEST_F(RealEngineTest, AbortFreesEveryBlock) {
  RealEngineOptions o = QuickOptions(*model_);
  o.device_blocks = 10;
  o.host_blocks = 40;
  o.preemption_mode = PreemptMode::kSwap;
  auto e = Make(o);
  std::vector<int64_t> ids;
  for (int32_t i = 0; i < 5; ++i) {
    auto r = e->Submit(Prompt(30, 10 + i), Greedy(-1, true), 100);
    ASSERT_TRUE(r.ok());
    ids.push_back(*r);
  }
  for (int i = 0; i < 400 && e->stats().swapped == 0; ++i) e->Step();
  const RealEngineStats mid = e->stats();
  EXPECT_GT(mid.swapped, 0u);
  EXPECT_GT(mid.host_kv_usage, 0);
  EXPECT_GT(mid.kv_usage, 0);
  e->TakeEvents();
  for (int64_t id : ids) EXPECT_TRUE(e->Abort(id).ok()) << id;
  auto events = e->TakeEvents();
  ASSERT_EQ(events.size(), ids.size());
  for (const RequestEvent& ev : events) {
    EXPECT_TRUE(ev.finished);
    EXPECT_EQ(ev.reason, FinishReason::kAbort);
    EXPECT_EQ(e->executor().Tokens(ev.id), nullptr);
  }
  EXPECT_FALSE(e->HasUnfinished());
  EXPECT_FALSE(e->Step());
  const KvTiers kv = e->session().kv();
  EXPECT_EQ(kv.device_used(), 0);
  EXPECT_EQ(kv.host_used(), 0);
  EXPECT_EQ(e->Abort(ids[0]).code(), StatusCode::kNotFound);
  EXPECT_TRUE(e->session().CheckInvariants().ok());
}

// (c) on the random model: requests served together, under every policy and
// with a device tier that forces preemption, give their solo tokens.
TEST_F(RealEngineTest, PoliciesGiveTheSameTokensAsAlone) {
  struct Req {
    std::vector<int32_t> prompt;
    SamplingParams params;
    int32_t max_tokens;
  };
  std::vector<Req> reqs;
  for (int32_t i = 0; i < 5; ++i) {
    SamplingParams p = Greedy(-1, i % 2 == 0);
    if (i == 3) p.temperature = 0.8f, p.top_p = 0.9f, p.seed = 42;
    reqs.push_back({Prompt(20 + 13 * i, 20 + i), p, 40 + 10 * i});
  }
  std::vector<Output> alone;
  {
    auto e = Make(QuickOptions(*model_));
    for (const Req& r : reqs) {
      auto id = e->Submit(r.prompt, r.params, r.max_tokens);
      ASSERT_TRUE(id.ok());
      alone.push_back(RunAll(*e)[*id]);
    }
  }
  for (const runtimetest::PolicyMode& c : runtimetest::EveryPolicyMode()) {
    RealEngineOptions o = QuickOptions(*model_, c.policy);
    o.device_blocks = 14;  // 224 tokens for about 500: someone gives way
    o.host_blocks = 64;
    o.preemption_mode = c.mode;
    auto e = Make(o);
    std::vector<int64_t> ids;
    for (const Req& r : reqs) ids.push_back(*e->Submit(r.prompt, r.params, r.max_tokens));
    auto out = RunAll(*e);
    const RealEngineStats s = e->stats();
    std::printf("[ %-11s %-9s: %lld swap / %lld recompute preemptions, %lld steps ]\n", c.policy,
                c.mode == PreemptMode::kSwap ? "swap" : "recompute", static_cast<long long>(s.preemptions_swap),
                static_cast<long long>(s.preemptions_recompute), static_cast<long long>(s.steps));
    if (std::string(c.policy) == "vllm") {
      EXPECT_GT(s.preemptions_swap + s.preemptions_recompute, 0);
    }
    for (size_t i = 0; i < reqs.size(); ++i) {
      EXPECT_EQ(out[ids[i]].tokens, alone[i].tokens) << c.policy << " request " << i;
      EXPECT_EQ(out[ids[i]].text, alone[i].text) << c.policy << " request " << i;
      EXPECT_EQ(out[ids[i]].finish.reason, alone[i].finish.reason) << c.policy << " request " << i;
    }
    EXPECT_EQ(e->session().kv().device_used(), 0);
  }
}

// (d) the prefix cache: prompts that share a 96-token prefix (and two that
// are identical) give their solo tokens with the cache on, in a mixed batch,
// with a device tier small enough to evict cached blocks and to preempt; the
// later ones find the prefix cached and say so.
TEST_F(RealEngineTest, PrefixCacheGivesTheSameTokens) {
  const std::vector<int32_t> shared = Prompt(96, 7);
  std::vector<std::vector<int32_t>> prompts;
  for (int32_t i = 0; i < 6; ++i) {
    std::vector<int32_t> p = shared;
    const std::vector<int32_t> tail = Prompt(10 + 7 * i, 30 + i);
    p.insert(p.end(), tail.begin() + 1, tail.end());
    prompts.push_back(p);
  }
  prompts.push_back(prompts[2]);
  std::vector<Output> alone;
  {
    RealEngineOptions o = QuickOptions(*model_, "vllm-v1");
    o.knobs["prefix_caching"] = "0";
    auto e = Make(o);
    for (const auto& p : prompts) {
      const int64_t id = *e->Submit(p, Greedy(-1, true), 30);
      alone.push_back(RunAll(*e)[id]);
    }
  }
  for (int32_t device_blocks : {200, 24}) {
    RealEngineOptions o = QuickOptions(*model_, "vllm-v1");
    o.device_blocks = device_blocks;
    auto e = Make(o);
    // The first runs alone and fills the cache; the rest come together.
    const int64_t first = *e->Submit(prompts[0], Greedy(-1, true), 30);
    auto out = RunAll(*e);
    std::vector<int64_t> ids = {first};
    for (size_t i = 1; i < prompts.size(); ++i) ids.push_back(*e->Submit(prompts[i], Greedy(-1, true), 30));
    auto rest = RunAll(*e);
    out.insert(rest.begin(), rest.end());
    for (size_t i = 0; i < prompts.size(); ++i) {
      EXPECT_EQ(out[ids[i]].tokens, alone[i].tokens) << device_blocks << " blocks, request " << i;
      EXPECT_EQ(out[ids[i]].text, alone[i].text) << device_blocks << " blocks, request " << i;
    }
    const RealEngineStats s = e->stats();
    std::printf("[ %d blocks: %lld of %lld prompt tokens cached, %lld preemptions ]\n", device_blocks,
                static_cast<long long>(s.prefix_hit_tokens), static_cast<long long>(s.prefix_query_tokens),
                static_cast<long long>(s.preemptions_recompute + s.preemptions_swap));
    EXPECT_EQ(out[ids[0]].finish.cached_tokens, 0);
    if (device_blocks == 200) {
      for (size_t i = 1; i < prompts.size(); ++i) EXPECT_EQ(out[ids[i]].finish.cached_tokens, 96) << i;
    }
    EXPECT_GT(s.prefix_hit_tokens, 0);
    EXPECT_TRUE(e->session().CheckInvariants().ok());
    EXPECT_EQ(e->session().kv().device_used(), 0);
  }
}

// A next turn (the prompt, the answer, a new message) hits the blocks the
// answer filled as well as the prompt's (vLLM V1 caches generated blocks),
// and its tokens are those it gets with the cache off.
TEST_F(RealEngineTest, PrefixCacheHitsTheAnswersBlocks) {
  const std::vector<int32_t> first = Prompt(40, 3);
  const std::vector<int32_t> message = Prompt(12, 9);
  auto next_turn = [&](const std::vector<int32_t>& answer) {
    std::vector<int32_t> p = first;
    p.insert(p.end(), answer.begin(), answer.end());
    p.insert(p.end(), message.begin() + 1, message.end());
    return p;
  };
  std::map<bool, std::pair<Output, Output>> runs;
  for (bool caching : {false, true}) {
    RealEngineOptions o = QuickOptions(*model_, "vllm-v1");
    o.knobs["prefix_caching"] = caching ? "1" : "0";
    auto e = Make(o);
    const int64_t a = *e->Submit(first, Greedy(-1, true), 30);
    const Output turn1 = RunAll(*e)[a];
    ASSERT_EQ(turn1.tokens.size(), 30u);
    const int64_t b = *e->Submit(next_turn(turn1.tokens), Greedy(-1, true), 10);
    runs[caching] = {turn1, RunAll(*e)[b]};
  }
  EXPECT_EQ(runs[true].first.tokens, runs[false].first.tokens);
  EXPECT_EQ(runs[true].second.tokens, runs[false].second.tokens);
  EXPECT_EQ(runs[true].second.text, runs[false].second.text);
  // 40 + 30 tokens, the last one's KV never computed: 69 tokens, 4 full
  // blocks of 16 (2 of them filled by the answer).
  const int32_t bs = QuickOptions(*model_, "vllm-v1").block_size;
  EXPECT_EQ(runs[true].second.finish.cached_tokens, (40 + 30 - 1) / bs * bs);
  EXPECT_GT(runs[true].second.finish.cached_tokens, 40 / bs * bs);
  EXPECT_EQ(runs[false].second.finish.cached_tokens, 0);
}

// Explicit SLO targets override the class defaults; defaults come from the
// calibrated model (TTFT at least the 1 s floor).
TEST_F(RealEngineTest, SubmitAcceptsSloSpecs) {
  auto e = Make(QuickOptions(*model_));
  SloSpec slo;
  slo.slo_class = SloClass::kTight;
  auto a = e->Submit({1, 5}, Greedy(), 4, slo);
  slo.slo_class = SloClass::kLoose;
  auto b = e->Submit({1, 5}, Greedy(), 4, slo);
  slo.ttft_ms = 250;
  slo.tbt_ms = 40;
  auto c = e->Submit({1, 6}, Greedy(), 4, slo);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto out = RunAll(*e);
  const double decode = e->cost_model().SoloDecodeTime(2);
  EXPECT_GE(out[*a].finish.ttft_slo_s, 1.0);
  EXPECT_GT(out[*a].finish.tbt_slo_s, 0);
  EXPECT_LT(out[*a].finish.tbt_slo_s, out[*b].finish.tbt_slo_s);    // tight < loose
  EXPECT_NEAR(out[*a].finish.tbt_slo_s, 4 * decode, 0.5 * decode);  // CACHEOPT.md: 4x solo decode
  EXPECT_DOUBLE_EQ(out[*c].finish.ttft_slo_s, 0.25);
  EXPECT_DOUBLE_EQ(out[*c].finish.tbt_slo_s, 0.04);
}

// A TBT target of 16x the solo decode step: alone, it picks the nearest
// class (loose); with the class the client named (real-experiment's bench
// sends both, with targets from the server's measured solo step), the class
// stays, as the simulator keeps it (victim order and the history estimator
// read it).
TEST_F(RealEngineTest, ExplicitTbtKeepsANamedClass) {
  auto e = Make(QuickOptions(*model_));
  const double loose_ms = 16e3 * e->cost_model().SoloDecodeTime(2);
  SloSpec slo;
  slo.slo_class = SloClass::kTight;
  slo.tbt_ms = loose_ms;
  auto nearest = e->Submit({1, 5}, Greedy(), 4, slo);
  slo.class_given = true;
  auto named = e->Submit({1, 5}, Greedy(), 4, slo);
  ASSERT_TRUE(nearest.ok() && named.ok());
  auto out = RunAll(*e);
  EXPECT_EQ(out[*nearest].finish.slo_class, SloClass::kLoose);
  EXPECT_EQ(out[*named].finish.slo_class, SloClass::kTight);
  EXPECT_DOUBLE_EQ(out[*named].finish.tbt_slo_s, loose_ms / 1e3);
}

TEST_F(RealEngineTest, KvEventsCarryTheBlocksTokens) {
  RealEngineOptions o = QuickOptions(*model_, "vllm-v1");
  o.kv_events = true;
  o.device_blocks = 24;  // small: the second wave evicts
  auto e = Make(o);
  const int32_t bs = o.block_size;
  // Two waves of 8 prompts of 3 full blocks and a bit; the second wave
  // shares prefixes with the first (salts 50-53) and brings new ones.
  std::vector<KvEvent> events;
  for (int32_t wave = 0; wave < 2; ++wave) {
    for (int32_t i = 0; i < 8; ++i) {
      const int32_t salt = wave == 0 ? 50 + i : (i < 4 ? 50 + i : 70 + i);
      ASSERT_TRUE(e->Submit(Prompt(3 * bs + 5 + wave + i, salt), Greedy(-1, true), 4).ok());
    }
    RunAll(*e);
    auto more = e->TakeKvEvents();
    events.insert(events.end(), more.begin(), more.end());
    EXPECT_TRUE(e->TakeKvEvents().empty());
  }
  // Replayed: every stored run's tokens are its blocks of some prompt, from
  // its parent on; the set ends equal to the cache.
  std::map<BlockHash, std::vector<int32_t>> prefix;  // hash -> tokens up to its block's end
  std::set<BlockHash> cached;
  int removed = 0;
  for (const KvEvent& ev : events) {
    if (ev.kind == KvEventKind::kBlockRemoved) {
      ++removed;
      for (BlockHash h : ev.block_hashes) EXPECT_EQ(cached.erase(h), 1u);
      continue;
    }
    ASSERT_EQ(ev.kind, KvEventKind::kBlockStored);
    ASSERT_EQ(ev.token_ids.size(), ev.block_hashes.size() * static_cast<size_t>(bs));
    std::vector<int32_t> seq = ev.parent == kNoParent ? std::vector<int32_t>{} : prefix.at(ev.parent);
    EXPECT_EQ(seq.size(), static_cast<size_t>(ev.first_block) * bs);
    for (size_t k = 0; k < ev.block_hashes.size(); ++k) {
      seq.insert(seq.end(), ev.token_ids.begin() + k * bs, ev.token_ids.begin() + (k + 1) * bs);
      // The hash is the block's content hash (block_hash.h) over these tokens.
      EXPECT_EQ(ev.block_hashes[k], HashFullBlocks(seq, bs).back());
      prefix[ev.block_hashes[k]] = seq;
      EXPECT_TRUE(cached.insert(ev.block_hashes[k]).second);
    }
  }
  EXPECT_GT(removed, 0);
  EXPECT_EQ(static_cast<int32_t>(cached.size()), e->stats().cached_blocks);
  EXPECT_EQ(e->stats().evictable_blocks, e->stats().cached_blocks);
  // Reset: allowed now that nothing is held; one AllBlocksCleared.
  ASSERT_TRUE(e->ResetPrefixCache());
  auto cleared = e->TakeKvEvents();
  ASSERT_EQ(cleared.size(), 1u);
  EXPECT_EQ(cleared[0].kind, KvEventKind::kAllBlocksCleared);
  EXPECT_EQ(e->stats().cached_blocks, 0);
}

TEST_F(RealEngineTest, EveryStepIsRecordedWithItsBatchAndItsSplit) {
  // Two requests under vllm (no chunking): step 0 prefills both prompts
  // together, every later step decodes each live one at its context.
  RealEngineOptions o = QuickOptions(*model_);
  std::vector<StepRecord> steps;
  o.step_observer = [&steps](const StepRecord& r) { steps.push_back(r); };
  auto e = Make(o);
  auto a = e->Submit(Prompt(9, 2), Greedy(-1, true), 4);
  auto b = e->Submit(Prompt(5, 3), Greedy(-1, true), 2);
  ASSERT_TRUE(a.ok() && b.ok());
  RunAll(*e);
  ASSERT_EQ(steps.size(), 4u);  // both prompts, then 3 decodes of a (1 of b)
  const StepRecord& first = steps[0];
  EXPECT_EQ(first.step, 0);
  ASSERT_EQ(first.seqs.size(), 2u);
  EXPECT_EQ(first.ids, (std::vector<int64_t>{*a, *b}));
  EXPECT_EQ(first.seqs[0].num_tokens, 9);
  EXPECT_EQ(first.seqs[0].context_before, 0);
  EXPECT_EQ(first.seqs[1].num_tokens, 5);
  EXPECT_EQ(first.prefill, (std::vector<bool>{true, true}));
  EXPECT_EQ(first.prefill_tokens(), 14);
  EXPECT_EQ(first.decode_tokens(), 0);
  const StepRecord& second = steps[1];
  EXPECT_EQ(second.step, 1);
  ASSERT_EQ(second.seqs.size(), 2u);
  EXPECT_EQ(second.seqs[0].num_tokens, 1);
  EXPECT_EQ(second.seqs[0].context_before, 9);
  EXPECT_EQ(second.seqs[1].context_before, 5);
  EXPECT_EQ(second.decode_tokens(), 2);
  EXPECT_EQ(steps[2].seqs.size(), 1u);  // b ended after two tokens
  EXPECT_EQ(steps[3].seqs[0].context_before, 11);
  for (const StepRecord& r : steps) {
    EXPECT_GT(r.forward_s, 0);
    EXPECT_GT(r.sample_s, 0);
    EXPECT_GE(r.schedule_s, 0);
    EXPECT_EQ(r.swap_out_blocks + r.swap_in_blocks + r.swap_out_ahead_blocks, 0);
    // The parts never exceed the whole.
    EXPECT_LE(r.copy_s + r.prepare_s + r.forward_s + r.sample_s, r.wall_s * (1 + 1e-9));
    EXPECT_NEAR(r.copy_s + r.prepare_s + r.forward_s + r.sample_s + r.schedule_s, r.wall_s, 1e-9);
    EXPECT_GT(r.predicted_s, 0);
  }
  EXPECT_EQ(steps[0].loop_s, 0);  // nothing pending before the first step
  EXPECT_GT(steps[1].loop_s, 0);  // the events of step 0 went to the caller
  EXPECT_EQ(e->last_step().step, 3);
}

}  // namespace
}  // namespace cacheopt
