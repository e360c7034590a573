#include "server/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <thread>

#include "server/prometheus_text_test_util.h"

namespace cacheopt {
namespace {

using ::testing::HasSubstr;
using testing_prom::Exposition;
using testing_prom::Sample;

Exposition Parse(const std::string& text) { return testing_prom::ParseExposition(text); }

TEST(MetricsTest, CounterAndGaugeLines) {
  MetricsRegistry r(MetricLabels{{"model_name", "m"}});
  Counter& c = r.AddCounter("req_total", "Requests.");
  Gauge& g = r.AddGauge("vllm:kv_cache_usage_perc", "KV usage.");
  c.Inc();
  c.Inc(2);
  g.Set(0.25);
  EXPECT_EQ(r.Render(),
            "# HELP req_total Requests.\n"
            "# TYPE req_total counter\n"
            "req_total{model_name=\"m\"} 3\n"
            "# HELP vllm:kv_cache_usage_perc KV usage.\n"
            "# TYPE vllm:kv_cache_usage_perc gauge\n"
            "vllm:kv_cache_usage_perc{model_name=\"m\"} 0.25\n");
  c.SetTotal(10);
  g.Add(0.5);
  EXPECT_EQ(c.value(), 10);
  EXPECT_EQ(g.value(), 0.75);
}

TEST(MetricsTest, NoLabelsMeansNoBraces) {
  MetricsRegistry r;
  r.AddGauge("up", "Up.").Set(1);
  EXPECT_THAT(r.Render(), HasSubstr("\nup 1\n"));
}

TEST(MetricsTest, SeriesOfOneFamilyShareItsHeader) {
  MetricsRegistry r;
  r.AddCounter("x_total", "X.", {{"kind", "a"}}).Inc();
  r.AddCounter("x_total", "ignored", {{"kind", "b"}}).Inc(4);
  Exposition e = Parse(r.Render());
  EXPECT_EQ(e.helps["x_total"], "X.");
  ASSERT_EQ(e.samples.size(), 2u);
  EXPECT_EQ(e.Find("x_total", {{"kind", "b"}})->value, 4);
}

TEST(MetricsTest, HistogramIsCumulativeWithInfEqualToCount) {
  MetricsRegistry r(MetricLabels{{"model_name", "m"}});
  Histogram& h = r.AddHistogram("lat_seconds", "Latency.", {0.1, 1.0, 10.0});
  for (double v : {0.05, 0.1, 0.5, 2.0, 20.0, 30.0}) h.Observe(v);
  std::string text = r.Render();
  EXPECT_THAT(text,
              HasSubstr("lat_seconds_bucket{model_name=\"m\",le=\"0.1\"} 2\n"));  // le is inclusive
  EXPECT_THAT(
      text,
      HasSubstr("lat_seconds_bucket{model_name=\"m\",le=\"1.0\"} 3\n"));  // Python-style bound
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{model_name=\"m\",le=\"10.0\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 6\n"));
  Exposition e = Parse(text);
  EXPECT_EQ(e.types["lat_seconds"], "histogram");
  EXPECT_DOUBLE_EQ(e.Find("lat_seconds_sum", {})->value, 52.65);
  EXPECT_EQ(e.Find("lat_seconds_count", {})->value, 6);
  double prev = 0;
  int buckets = 0;
  for (const Sample& s : e.samples) {
    if (s.name != "lat_seconds_bucket") continue;
    EXPECT_GE(s.value, prev);
    prev = s.value;
    ++buckets;
  }
  EXPECT_EQ(buckets, 4);
  EXPECT_EQ(prev, e.Find("lat_seconds_count", {})->value);
}

TEST(MetricsTest, HistogramNanGoesToInf) {
  Histogram h({1.0});
  h.Observe(NAN);
  h.Observe(0.5);
  auto s = h.Read();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(s.count(), 2u);
}

TEST(MetricsTest, LabelValuesAndHelpAreEscaped) {
  MetricsRegistry r(MetricLabels{{"model_name", "a\"b\\c\nd"}});
  r.AddGauge("g", "Line one\nline \\two").Set(1);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("# HELP g Line one\\nline \\\\two\n"));
  EXPECT_THAT(text, HasSubstr("g{model_name=\"a\\\"b\\\\c\\nd\"} 1\n"));
  Exposition e = Parse(text);
  ASSERT_EQ(e.samples.size(), 1u);
  EXPECT_EQ(e.samples[0].labels["model_name"], "a\"b\\c\nd");  // round trip
}

TEST(MetricsTest, ValueFormatting) {
  auto fmt = [](double v) {
    std::string s;
    AppendMetricValue(v, &s);
    return s;
  };
  EXPECT_EQ(fmt(0), "0");
  EXPECT_EQ(fmt(42), "42");
  EXPECT_EQ(fmt(0.1), "0.1");
  EXPECT_EQ(fmt(-2.5), "-2.5");
  EXPECT_EQ(fmt(1e21), "1e+21");
  EXPECT_EQ(fmt(INFINITY), "+Inf");
  EXPECT_EQ(fmt(-INFINITY), "-Inf");
  EXPECT_EQ(fmt(NAN), "NaN");
  EXPECT_EQ(FormatBucketBound(0.005), "0.005");
  EXPECT_EQ(FormatBucketBound(1), "1.0");
  EXPECT_EQ(FormatBucketBound(2560), "2560.0");
  EXPECT_EQ(FormatBucketBound(INFINITY), "+Inf");
}

TEST(MetricsTest, NameValidation) {
  EXPECT_TRUE(IsValidMetricName("vllm:num_requests_running"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidMetricName("a-b"));
  EXPECT_FALSE(IsValidMetricName(""));
  EXPECT_TRUE(IsValidLabelName("model_name"));
  EXPECT_FALSE(IsValidLabelName("a:b"));
  EXPECT_FALSE(IsValidLabelName("__name"));
}

TEST(MetricsTest, RenderToAppendsAndRendersAreStable) {
  MetricsRegistry r;
  r.AddCounter("c_total", "C.").Inc();
  std::string out = "prefix\n";
  r.RenderTo(&out);
  EXPECT_EQ(out, "prefix\n" + r.Render());
  EXPECT_EQ(r.Render(), r.Render());
}

TEST(MetricsTest, ConcurrentWriterAndReaders) {
  // One writer, two scraping readers (run under TSan/ASan in CI builds).
  MetricsRegistry r;
  Counter& c = r.AddCounter("c_total", "C.");
  Histogram& h = r.AddHistogram("h_seconds", "H.", {0.5});
  constexpr int kN = 20000;
  std::atomic<bool> done{false};
  auto reader = [&] {
    while (!done.load()) {
      Exposition e = Parse(r.Render());
      const Sample* inf = e.Find("h_seconds_bucket", {{"le", "+Inf"}});
      const Sample* count = e.Find("h_seconds_count", {});
      ASSERT_TRUE(inf && count);
      EXPECT_EQ(inf->value, count->value);
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < kN; ++i) {
    c.Inc();
    h.Observe(i % 2 ? 0.25 : 1.0);
  }
  done = true;
  r1.join();
  r2.join();
  EXPECT_EQ(c.value(), kN);
  EXPECT_EQ(h.Read().count(), static_cast<uint64_t>(kN));
  EXPECT_EQ(h.Read().cumulative[0], static_cast<uint64_t>(kN / 2));
}

}  // namespace
}  // namespace cacheopt
