// The engine thread over a real engine (random-weight tiny model): what
// reaches each sink equals what the engine produces alone, stop strings end a
// request, a cancel aborts it and frees its KV, the concurrency limit holds,
// and metrics follow.
#include "server/engine_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <thread>

#include "cacheopt/policy_registry.h"
#include "model/random_model.h"
#include "server/prometheus_text_test_util.h"

namespace cacheopt {
namespace {

using std::chrono::milliseconds;

std::shared_ptr<const Model> TinyModel() {
  static std::shared_ptr<const Model> m = [] {
    auto r = MakeRandomModel("tiny", 7);
    EXPECT_TRUE(r.ok());
    return std::make_shared<const Model>(std::move(*r));
  }();
  return m;
}

RealEngineOptions Options(const std::string& policy = "vllm") {
  RealEngineOptions o;
  o.model.model = TinyModel();
  o.policy = policy;
  o.threads = 2;
  o.check_invariants = true;
  o.calibrate.reps = 1;
  return o;
}

struct Harness {
  explicit Harness(RealEngineOptions o = Options(), EngineLoopOptions lo = {}, size_t queue = 64)
      : engine(RealEngine::Create(o).value()),
        metrics(ServingMetricsConfig{"tiny", 16, engine->stats().device_blocks, engine->stats().host_blocks, o.policy}),
        q(queue),
        loop(engine.get(), &q, &metrics, lo) {
    loop.Start();
  }
  std::unique_ptr<RealEngine> engine;
  ServingMetrics metrics;
  RequestQueue q;
  EngineLoop loop;
};

SubmitCommand Greedy(std::vector<int32_t> prompt, int32_t max_tokens, std::vector<std::string> stop = {}) {
  SubmitCommand c;
  c.prompt = std::move(prompt);
  c.params.ignore_eos = true;
  c.max_tokens = max_tokens;
  c.stop = std::move(stop);
  c.sink = std::make_shared<RequestSink>();
  c.arrival = std::chrono::steady_clock::now();
  return c;
}

// Everything a sink delivers until its end.
RequestSink::Update Collect(RequestSink& sink) {
  RequestSink::Update all, u;
  for (int i = 0; i < 3000 && !all.finished; ++i) {
    if (!sink.Wait(milliseconds(10), &u)) continue;
    all.text += u.text;
    if (u.finished) {
      all.finished = true;
      all.finish_reason = u.finish_reason;
      all.usage = u.usage;
      all.error = u.error;
    }
  }
  EXPECT_TRUE(all.finished) << "no end within 30 s";
  return all;
}

// The text the engine alone produces for `prompt`.
std::string Solo(const std::vector<int32_t>& prompt, int32_t max_tokens) {
  auto e = RealEngine::Create(Options());
  EXPECT_TRUE(e.ok());
  SamplingParams p;
  p.ignore_eos = true;
  EXPECT_TRUE((*e)->Submit(prompt, p, max_tokens).ok());
  std::string text;
  EXPECT_TRUE((*e)->RunToCompletion([&](const RequestEvent& ev) { text += ev.text; }).ok());
  return text;
}

std::vector<int32_t> Prompt(int salt) {
  std::vector<int32_t> p = {1};
  for (int i = 0; i < 6 + salt % 5; ++i) p.push_back(3 + (salt * 31 + i * 7) % 500);
  return p;
}

TEST(EngineLoopTest, SinksGetWhatTheEngineProducesAlone) {
  Harness h;
  std::vector<std::shared_ptr<RequestSink>> sinks;
  for (int i = 0; i < 4; ++i) {
    SubmitCommand c = Greedy(Prompt(i), 20 + i);
    sinks.push_back(c.sink);
    ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  }
  for (int i = 0; i < 4; ++i) {
    RequestSink::Update u = Collect(*sinks[i]);
    EXPECT_EQ(u.finish_reason, "length");
    EXPECT_EQ(u.usage.prompt_tokens, static_cast<int32_t>(Prompt(i).size()));
    EXPECT_EQ(u.usage.completion_tokens, 20 + i);
    EXPECT_EQ(u.text, Solo(Prompt(i), 20 + i)) << i;
  }
  h.loop.Stop();
  const RealEngineStats s = h.engine->stats();
  EXPECT_EQ(s.running + s.waiting + s.swapped, 0u);
  EXPECT_EQ(s.kv_usage, 0);
  EXPECT_TRUE(h.engine->error().ok()) << h.engine->error().message();
  auto e = testing_prom::ParseExposition(h.metrics.Render());
  EXPECT_EQ(e.Find("vllm:request_success_total", {{"finished_reason", "length"}})->value, 4);
  EXPECT_EQ(e.Find("vllm:generation_tokens_total", {})->value, 20 + 21 + 22 + 23);
  EXPECT_EQ(e.Find("vllm:time_to_first_token_seconds_count", {})->value, 4);
  EXPECT_EQ(e.Find("vllm:inter_token_latency_seconds_count", {})->value, 19 + 20 + 21 + 22);
  EXPECT_EQ(e.Find("vllm:kv_cache_usage_perc", {})->value, 0);
}

TEST(EngineLoopTest, AStopStringEndsTheRequestThere) {
  const std::string full = Solo(Prompt(1), 40);
  ASSERT_GT(full.size(), 12u);
  // A stop string from the middle of the solo text.
  const std::string stop = full.substr(full.size() / 2, 3);
  const std::string want = full.substr(0, full.find(stop));
  Harness h;
  SubmitCommand c = Greedy(Prompt(1), 40, {stop});
  auto sink = c.sink;
  ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  RequestSink::Update u = Collect(*sink);
  EXPECT_EQ(u.finish_reason, "stop");
  EXPECT_EQ(u.text, want);
  EXPECT_LT(u.usage.completion_tokens, 40);
  h.loop.Stop();
  EXPECT_EQ(h.engine->stats().kv_usage, 0);
  auto e = testing_prom::ParseExposition(h.metrics.Render());
  EXPECT_EQ(e.Find("vllm:request_success_total", {{"finished_reason", "stop"}})->value, 1);
  EXPECT_EQ(e.Find("vllm:request_success_total", {{"finished_reason", "abort"}})->value, 0);
}

TEST(EngineLoopTest, CancelAbortsAndFreesTheKvCache) {
  Harness h;
  SubmitCommand c = Greedy(Prompt(2), 500);
  auto sink = c.sink;
  ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  RequestSink::Update u;
  ASSERT_TRUE(sink->Wait(std::chrono::seconds(30), &u));  // it runs
  h.q.Abort(sink);
  RequestSink::Update end = Collect(*sink);
  EXPECT_EQ(end.finish_reason, "abort");
  // Waits for the engine thread to publish the freed blocks.
  for (int i = 0; i < 500; ++i) {
    auto e = testing_prom::ParseExposition(h.metrics.Render());
    if (e.Find("vllm:kv_cache_usage_perc", {})->value == 0) break;
    std::this_thread::sleep_for(milliseconds(2));
  }
  auto e = testing_prom::ParseExposition(h.metrics.Render());
  EXPECT_EQ(e.Find("vllm:kv_cache_usage_perc", {})->value, 0);
  EXPECT_EQ(e.Find("vllm:num_requests_running", {})->value, 0);
  EXPECT_EQ(e.Find("vllm:request_success_total", {{"finished_reason", "abort"}})->value, 1);
  h.loop.Stop();
  EXPECT_EQ(h.engine->stats().kv_usage, 0);
  EXPECT_EQ(h.engine->stats().host_kv_usage, 0);
}

TEST(EngineLoopTest, HoldsAtMostMaxConcurrencyInTheEngine) {
  Harness h(Options(), EngineLoopOptions{.max_concurrency = 2});
  std::vector<std::shared_ptr<RequestSink>> sinks;
  for (int i = 0; i < 6; ++i) {
    SubmitCommand c = Greedy(Prompt(i), 30);
    sinks.push_back(c.sink);
    ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  }
  int64_t most = 0;
  size_t done = 0;
  std::vector<bool> finished(6, false);
  for (int spin = 0; spin < 30000 && done < 6; ++spin) {
    most = std::max(most, h.loop.live());
    for (int i = 0; i < 6; ++i) {
      RequestSink::Update u;
      if (!finished[i] && sinks[i]->Wait(milliseconds(0), &u) && u.finished) {
        finished[i] = true;
        ++done;
        EXPECT_EQ(u.finish_reason, "length");
      }
    }
  }
  EXPECT_EQ(done, 6u);
  EXPECT_LE(most, 2);
  EXPECT_GE(most, 1);
}

TEST(EngineLoopTest, AbortAllEndsEverySink) {
  Harness h(Options(), EngineLoopOptions{.max_concurrency = 1});
  std::vector<std::shared_ptr<RequestSink>> sinks;
  for (int i = 0; i < 3; ++i) {
    SubmitCommand c = Greedy(Prompt(i), 500);
    sinks.push_back(c.sink);
    ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  }
  RequestSink::Update first;
  ASSERT_TRUE(sinks[0]->Wait(std::chrono::seconds(30), &first));
  h.q.Close();
  h.loop.AbortAll();
  EXPECT_EQ(Collect(*sinks[0]).finish_reason, "abort");
  for (int i = 1; i < 3; ++i) {
    RequestSink::Update u = Collect(*sinks[i]);
    ASSERT_TRUE(u.error) << i;  // never reached the engine
    EXPECT_EQ(u.error->http_status, 503);
  }
  h.loop.Stop();
  EXPECT_EQ(h.engine->stats().kv_usage, 0);
}

TEST(EngineLoopTest, ASubmitTheEngineRefusesFailsItsSink) {
  Harness h;
  SubmitCommand c = Greedy({1, 2, 3}, 4);
  c.params.top_p = 0;  // invalid sampling parameters: the executor refuses
  auto sink = c.sink;
  ASSERT_EQ(h.q.Push(std::move(c)), RequestQueue::PushResult::kOk);
  RequestSink::Update u = Collect(*sink);
  ASSERT_TRUE(u.error);
  EXPECT_EQ(u.error->http_status, 400);
}

// n choices of one prompt under a caching policy: the followers wait for
// the first choice's prompt and take its blocks from the prefix cache; with
// greedy sampling every choice equals the solo answer; logprobs flow.
TEST(EngineLoopTest, AGroupSharesItsPromptThroughThePrefixCache) {
  Harness h(Options("vllm-v1"));
  ASSERT_TRUE(h.engine->prefix_caching());
  std::vector<int32_t> prompt = {1};
  for (int i = 0; i < 40; ++i) prompt.push_back(5 + i * 3);  // 41 tokens: 2 full blocks of 16
  std::vector<SubmitCommand> group;
  std::vector<std::shared_ptr<RequestSink>> sinks;
  for (int k = 0; k < 3; ++k) {
    SubmitCommand c = Greedy(prompt, 6);
    c.shares_prompt_of = k;
    c.params.logprobs = 2;
    sinks.push_back(c.sink);
    group.push_back(std::move(c));
  }
  ASSERT_EQ(h.q.PushGroup(std::move(group)), RequestQueue::PushResult::kOk);
  const std::string solo = Solo(prompt, 6);
  for (int k = 0; k < 3; ++k) {
    RequestSink::Update all, u;
    int draws = 0;
    for (int i = 0; i < 3000 && !all.finished; ++i) {
      if (!sinks[k]->Wait(milliseconds(10), &u)) continue;
      all.text += u.text;
      draws += static_cast<int>(u.logprobs.size());
      for (const SampledToken& t : u.logprobs) {
        EXPECT_EQ(t.top_logprobs.size(), 2u);
        EXPECT_LE(t.logprob, 0.0f);
        EXPECT_EQ(t.top_logprobs[0].first, t.token);  // greedy: the most likely one
      }
      if (u.finished) {
        all.finished = true;
        all.usage = u.usage;
      }
    }
    ASSERT_TRUE(all.finished);
    EXPECT_EQ(all.text, solo) << k;
    EXPECT_EQ(draws, 6);
    // The first choice computed the prompt; the others found its full blocks.
    EXPECT_EQ(all.usage.cached_tokens, k == 0 ? 0 : 32) << k;
  }
  h.loop.Stop();
  EXPECT_TRUE(h.engine->error().ok()) << h.engine->error().message();
}

// A request group (n choices of one prompt, RequestSpec::group) through the
// engine under every policy, those that admit and preempt it as one (vllm,
// cacheopt) and those that schedule each choice alone: every choice equals
// the solo greedy answer.
TEST(EngineLoopTest, AGroupRunsUnderEveryPolicy) {
  std::vector<int32_t> prompt = {1};
  for (int i = 0; i < 40; ++i) prompt.push_back(7 + i * 5);
  const std::string solo = Solo(prompt, 8);
  for (const std::string& policy : PolicyNames()) {
    Harness h(Options(policy));
    std::vector<std::shared_ptr<RequestSink>> sinks;
    std::vector<SubmitCommand> group;
    for (int k = 0; k < 3; ++k) {
      SubmitCommand c = Greedy(prompt, 8);
      c.shares_prompt_of = k;
      sinks.push_back(c.sink);
      group.push_back(std::move(c));
    }
    ASSERT_EQ(h.q.PushGroup(std::move(group)), RequestQueue::PushResult::kOk);
    for (int k = 0; k < 3; ++k) {
      RequestSink::Update all, u;
      for (int i = 0; i < 3000 && !all.finished; ++i) {
        if (!sinks[k]->Wait(milliseconds(10), &u)) continue;
        all.text += u.text;
        all.finished = u.finished;
      }
      ASSERT_TRUE(all.finished) << policy << " choice " << k;
      EXPECT_EQ(all.text, solo) << policy << " choice " << k;
    }
    h.loop.Stop();
    EXPECT_TRUE(h.engine->error().ok()) << policy << ": " << h.engine->error().message();
  }
}

}  // namespace
}  // namespace cacheopt
