#include "sim/workload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "trace/synthetic.h"

namespace cacheopt {
namespace {

using ::testing::HasSubstr;

TraceRow Row(int32_t prompt, int32_t output, double arrival = -1) {
  TraceRow r;
  r.prompt_tokens = prompt;
  r.output_tokens = output;
  r.arrival_s = arrival;
  return r;
}

// Length-only trace with prompt i + 1 for row i, so rows can be told apart.
Trace LengthOnly(int rows) {
  Trace t;
  t.source = "test";
  t.format = "csv";
  for (int i = 0; i < rows; ++i) t.rows.push_back(Row(i + 1, 10));
  return t;
}

// A context so large that no test row is dropped, unless a test says otherwise.
WorkloadOptions Opts(double rate, int64_t n, uint64_t seed) {
  WorkloadOptions o;
  o.max_context = 1 << 24;
  o.rate_rps = rate;
  o.num_requests = n;
  o.seed = seed;
  return o;
}

Workload Build(const Trace& t, const WorkloadOptions& o) {
  Result<Workload> w = BuildWorkload(t, o);
  EXPECT_TRUE(w.ok()) << w.status().message();
  return w.ok() ? std::move(*w) : Workload{};
}

bool SameRequests(const Workload& a, const Workload& b) {
  if (a.requests.size() != b.requests.size()) return false;
  for (size_t i = 0; i < a.requests.size(); ++i) {
    const WorkloadRequest& x = a.requests[i];
    const WorkloadRequest& y = b.requests[i];
    if (x.id != y.id || x.arrival_s != y.arrival_s || x.prompt_tokens != y.prompt_tokens ||
        x.output_tokens != y.output_tokens || x.max_tokens != y.max_tokens ||
        x.slo_class != y.slo_class) {
      return false;
    }
  }
  return a.description == b.description;
}

std::vector<int32_t> Prompts(const Workload& w) {
  std::vector<int32_t> out;
  for (const WorkloadRequest& q : w.requests) out.push_back(q.prompt_tokens);
  return out;
}

TEST(WorkloadTest, DeterministicAndSeedPicksTheWindow) {
  const Trace trace = SyntheticTrace(3, 5000);
  const Workload a = Build(trace, Opts(2, 500, 1));
  const Workload b = Build(trace, Opts(2, 500, 1));
  const Workload c = Build(trace, Opts(2, 500, 2));
  EXPECT_TRUE(SameRequests(a, b));
  EXPECT_NE(Prompts(a), Prompts(c));
  ASSERT_EQ(a.requests.size(), 500u);
  for (size_t i = 0; i < a.requests.size(); ++i) EXPECT_EQ(a.requests[i].id, int64_t(i));
  EXPECT_THAT(a.description, HasSubstr("window of 500 rows"));
  // The window is consecutive trace rows.
  const std::vector<int32_t> p = Prompts(a);
  auto it = std::search(trace.rows.begin(), trace.rows.end(), p.begin(), p.end(),
                        [](const TraceRow& r, int32_t x) { return r.prompt_tokens == x; });
  EXPECT_NE(it, trace.rows.end());
}

TEST(WorkloadTest, WindowStartsCoverTheTrace) {
  const Trace trace = SyntheticTrace(3, 100);
  std::set<int32_t> firsts;
  for (uint64_t seed = 0; seed < 400; ++seed) {
    firsts.insert(Build(trace, Opts(1, 91, seed)).requests[0].prompt_tokens);
  }
  EXPECT_GE(firsts.size(), 9u);  // 10 valid starts (prompts may repeat)
}

TEST(WorkloadTest, ReplayHitsTheRateAndKeepsBurstShape) {
  const Trace trace = SyntheticTrace(5, 3000);
  const Workload w = Build(trace, Opts(17.0, 2000, 9));
  const auto& q = w.requests;
  ASSERT_EQ(q.size(), 2000u);
  EXPECT_EQ(q[0].arrival_s, 0.0);
  const double rate = (q.size() - 1) / q.back().arrival_s;
  EXPECT_NEAR(rate / 17.0, 1.0, 1e-9);
  EXPECT_THAT(w.description, HasSubstr("replay time-scaled"));
  // Gaps are the recorded ones times one constant.
  std::vector<double> recorded;
  for (const TraceRow& r : trace.rows) recorded.push_back(r.arrival_s);
  auto first = std::find_if(trace.rows.begin(), trace.rows.end(), [&](const TraceRow& r) {
    return r.prompt_tokens == q[0].prompt_tokens && r.output_tokens == q[0].output_tokens;
  });
  ASSERT_NE(first, trace.rows.end());
  const size_t s = first - trace.rows.begin();
  const double k = q[1999].arrival_s / (recorded[s + 1999] - recorded[s]);
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_NEAR(q[i].arrival_s, (recorded[s + i] - recorded[s]) * k, 1e-9);
  }
}

TEST(WorkloadTest, PoissonOnTimestampedTraceKeepsTheWindow) {
  const Trace trace = SyntheticTrace(5, 30000);
  WorkloadOptions o = Opts(3.0, 20000, 4);
  const Workload replay = Build(trace, o);
  o.arrival = ArrivalKind::kPoisson;
  const Workload poisson = Build(trace, o);
  EXPECT_EQ(Prompts(replay), Prompts(poisson));  // the same rows
  const auto& q = poisson.requests;
  EXPECT_EQ(q[0].arrival_s, 0.0);
  EXPECT_NEAR(q.back().arrival_s / (q.size() - 1) * 3.0, 1.0, 0.03);
  for (size_t i = 0; i < q.size(); ++i) {
    ASSERT_EQ(q[i].slo_class, replay.requests[i].slo_class);  // separate streams
  }
}

TEST(WorkloadTest, GammaCv) {
  WorkloadOptions o = Opts(2.0, 20001, 6);
  o.arrival = ArrivalKind::kGamma;
  o.arrival_cv = 3.0;
  const Workload w = Build(LengthOnly(30000), o);
  double sum = 0, sum2 = 0;
  for (size_t i = 1; i < w.requests.size(); ++i) {
    const double g = w.requests[i].arrival_s - w.requests[i - 1].arrival_s;
    ASSERT_GE(g, 0);
    sum += g;
    sum2 += g * g;
  }
  const double n = w.requests.size() - 1, mean = sum / n;
  EXPECT_NEAR(mean * 2.0, 1.0, 0.05);
  EXPECT_NEAR(std::sqrt(sum2 / n - mean * mean) / mean / 3.0, 1.0, 0.10);
}

TEST(WorkloadTest, LengthOnlyShufflesBySeedAndDefaultsToPoisson) {
  const Trace trace = LengthOnly(1000);
  const Workload a = Build(trace, Opts(1, 100, 1));
  const Workload b = Build(trace, Opts(1, 100, 2));
  EXPECT_NE(Prompts(a), Prompts(b));
  EXPECT_THAT(a.description, HasSubstr("poisson"));
  EXPECT_THAT(a.description, HasSubstr("shuffled"));
  // A longer run with the same seed starts with the same rows.
  const Workload longer = Build(trace, Opts(1, 200, 1));
  const std::vector<int32_t> pa = Prompts(a), pl = Prompts(longer);
  EXPECT_TRUE(std::equal(pa.begin(), pa.end(), pl.begin()));
  // All rows, once each.
  const Workload all = Build(trace, Opts(1, 0, 1));
  std::vector<int32_t> p = Prompts(all);
  std::sort(p.begin(), p.end());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(p[i], i + 1);
}

TEST(WorkloadTest, ChangingRateOrProcessKeepsRowsAndClasses) {
  const Trace trace = LengthOnly(500);
  const Workload a = Build(trace, Opts(1, 300, 8));
  WorkloadOptions o = Opts(5, 300, 8);
  o.arrival = ArrivalKind::kGamma;
  const Workload b = Build(trace, o);
  EXPECT_EQ(Prompts(a), Prompts(b));
  for (size_t i = 0; i < a.requests.size(); ++i) {
    ASSERT_EQ(a.requests[i].slo_class, b.requests[i].slo_class);
  }
}

TEST(WorkloadTest, ReplayOnLengthOnlyTraceIsAnError) {
  WorkloadOptions o = Opts(1, 10, 1);
  o.arrival = ArrivalKind::kReplay;
  const Result<Workload> w = BuildWorkload(LengthOnly(10), o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(w.status().message(), HasSubstr("replay needs a trace with timestamps"));
}

TEST(WorkloadTest, OptionErrors) {
  const Trace t = LengthOnly(10);
  for (double rate : {0.0, -1.0, std::nan(""), HUGE_VAL}) {
    const Result<Workload> w = BuildWorkload(t, Opts(rate, 5, 1));
    ASSERT_FALSE(w.ok()) << rate;
    EXPECT_THAT(w.status().message(), HasSubstr("arrival rate"));
  }
  WorkloadOptions o = Opts(1, 5, 1);
  o.arrival = ArrivalKind::kGamma;
  o.arrival_cv = 0;
  EXPECT_THAT(BuildWorkload(t, o).status().message(), HasSubstr("coefficient of variation"));
  EXPECT_THAT(BuildWorkload(LengthOnly(0), Opts(1, 5, 1)).status().message(), HasSubstr("no rows"));
  o = Opts(1, 5, 1);
  o.max_context = 0;
  EXPECT_THAT(BuildWorkload(t, o).status().message(), HasSubstr("max_context"));
}

TEST(WorkloadTest, DropsRowsOverContextAndCountsThem) {
  Trace t = LengthOnly(0);
  t.rows = {Row(100, 50), Row(4000, 96), Row(4000, 97), Row(5000, 1), Row(1, 4095)};
  WorkloadOptions o = Opts(1, 0, 1);
  o.max_context = 4096;
  const Workload w = Build(t, o);
  EXPECT_EQ(w.dropped_over_context, 2);
  EXPECT_EQ(w.rows_available, 3);
  EXPECT_EQ(w.requests.size(), 3u);
  for (const WorkloadRequest& q : w.requests) {
    EXPECT_LE(q.prompt_tokens + q.output_tokens, 4096);
  }
  EXPECT_THAT(w.description, HasSubstr("2 over context 4096 dropped"));
  o.max_context = 50;
  const Result<Workload> none = BuildWorkload(t, o);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("no rows left"));
}

TEST(WorkloadTest, ClipsPromptsOverContextAndCountsThem) {
  Trace t = LengthOnly(0);
  // fits; prompt cut to 4000; prompt cut to 1 (output 4095 fits after); prompt
  // cut to 1 and the output beyond the context cut to max_tokens.
  t.rows = {Row(100, 50), Row(5000, 96), Row(7, 4095), Row(9, 5000)};
  WorkloadOptions o = Opts(1, 0, 1);
  o.max_context = 4096;
  o.clip_prompts = true;
  const Workload w = Build(t, o);
  EXPECT_EQ(w.dropped_over_context, 0);
  EXPECT_EQ(w.clipped_to_context, 3);
  ASSERT_EQ(w.requests.size(), 4u);
  std::multiset<int32_t> prompts;
  for (const WorkloadRequest& q : w.requests) {
    prompts.insert(q.prompt_tokens);
    EXPECT_LE(q.prompt_tokens + q.output_tokens, 4096);
    EXPECT_LE(q.prompt_tokens + q.max_tokens, 4096);
  }
  EXPECT_EQ(prompts, (std::multiset<int32_t>{1, 1, 100, 4000}));
  EXPECT_EQ(w.truncated_to_max_tokens, 1);
  EXPECT_THAT(w.description, HasSubstr("3 prompts clipped to fit context 4096"));
  o.max_context = 1;
  EXPECT_FALSE(BuildWorkload(t, o).ok());
}

TEST(WorkloadTest, MoreRequestsThanRowsUsesAllAndSaysSo) {
  const Workload w = Build(SyntheticTrace(1, 50), Opts(1, 80, 1));
  EXPECT_EQ(w.requests.size(), 50u);
  EXPECT_THAT(w.description, HasSubstr("80 requests asked, only 50 available: using all"));
}

TEST(WorkloadTest, MaxTokensRules) {
  Trace t = LengthOnly(0);
  TraceRow capped = Row(100, 50);
  capped.max_tokens = 80;
  TraceRow low_cap = Row(100, 50);
  low_cap.max_tokens = 30;  // below the true length: output is cut
  TraceRow huge_cap = Row(4000, 50);
  huge_cap.max_tokens = 1000;  // above the context's room
  t.rows = {capped, low_cap, huge_cap, Row(96, 200)};
  WorkloadOptions o = Opts(1, 0, 1);
  o.max_context = 4096;
  Workload w = Build(t, o);
  auto by_prompt_and_cap = [&](int32_t prompt, int32_t cap) -> const WorkloadRequest& {
    for (const WorkloadRequest& q : w.requests) {
      if (q.prompt_tokens == prompt && q.max_tokens == cap) return q;
    }
    ADD_FAILURE() << "no request with prompt " << prompt << " and max_tokens " << cap;
    return w.requests[0];
  };
  EXPECT_EQ(by_prompt_and_cap(100, 80).output_tokens, 50);
  EXPECT_EQ(by_prompt_and_cap(100, 30).output_tokens, 30);
  EXPECT_EQ(by_prompt_and_cap(4000, 96).output_tokens, 50);
  EXPECT_EQ(by_prompt_and_cap(96, 4000).output_tokens, 200);
  EXPECT_EQ(w.truncated_to_max_tokens, 1);

  o.max_tokens_cap = 64;
  w = Build(t, o);
  EXPECT_EQ(by_prompt_and_cap(100, 64).output_tokens, 50);
  EXPECT_EQ(by_prompt_and_cap(100, 30).output_tokens, 30);
  EXPECT_EQ(by_prompt_and_cap(4000, 64).output_tokens, 50);
  EXPECT_EQ(by_prompt_and_cap(96, 64).output_tokens, 64);
  EXPECT_EQ(w.truncated_to_max_tokens, 2);
  EXPECT_THAT(w.description, HasSubstr("2 outputs cut to max_tokens"));
}

TEST(WorkloadTest, SloClassesUniformUnlessTheRowSaysSo) {
  const Workload w = Build(LengthOnly(30000), Opts(1, 0, 5));
  std::array<int, 3> counts = {0, 0, 0};
  for (const WorkloadRequest& q : w.requests) {
    ASSERT_GE(q.slo_class, 0);
    ASSERT_LE(q.slo_class, 2);
    ++counts[q.slo_class];
  }
  for (int c : counts) EXPECT_NEAR(c, 10000, 300);

  Trace t = SyntheticTrace(2, 200);
  const Workload drawn = Build(t, Opts(1, 0, 5));
  t.rows[10].slo_class = "loose";
  t.rows[11].slo_class = "tight";
  const Workload given = Build(t, Opts(1, 0, 5));
  EXPECT_EQ(given.requests[10].slo_class, 2);
  EXPECT_EQ(given.requests[11].slo_class, 0);
  for (size_t i = 0; i < drawn.requests.size(); ++i) {
    if (i == 10 || i == 11) continue;
    ASSERT_EQ(given.requests[i].slo_class, drawn.requests[i].slo_class);
  }
}

TEST(WorkloadTest, AzureTraceWhenPresent) {
  const std::string path =
      std::string(CACHEOPT_SHARED_DIR) + "/data/azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << path;
  const Result<Trace> trace = ReadTrace(path);
  ASSERT_TRUE(trace.ok()) << trace.status().message();
  WorkloadOptions o = Opts(2.0, 2000, 100);
  o.max_context = 4096;
  const Workload w = Build(*trace, o);
  EXPECT_EQ(w.dropped_over_context, 1612);
  EXPECT_EQ(w.rows_available, 19366 - 1612);
  EXPECT_EQ(w.requests.size(), 2000u);
  EXPECT_NEAR((w.requests.size() - 1) / w.requests.back().arrival_s, 2.0, 2e-9);
  std::printf("  %s\n", w.description.c_str());
}

}  // namespace
}  // namespace cacheopt
