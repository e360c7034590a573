#include "real_sweep/prometheus_sample.h"

#include <gtest/gtest.h>

namespace cacheopt::realexp {
namespace {

TEST(PrometheusSampleTest, ParsesSeriesAndSumsOverLabels) {
  const std::string page =
      "# HELP vllm:num_preemptions_total Preemptions.\n"
      "# TYPE vllm:num_preemptions_total counter\n"
      "vllm:num_preemptions_total{model_name=\"m\"} 7\n"
      "cacheopt_preemptions_total{model_name=\"m\",kind=\"swap\"} 3\n"
      "cacheopt_preemptions_total{kind=\"recompute\"} 4\r\n"
      "cacheopt_preemptions_total_extra 100\n"
      "\n"
      "plain_gauge 0.25\n"
      "odd{a=\"x y\"} 1e3\n";
  auto r = ParsePrometheusText(page);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->at("vllm:num_preemptions_total{model_name=\"m\"}"), 7);
  EXPECT_EQ(SumMetric(*r, "cacheopt_preemptions_total"), 7);  // not the _extra series
  EXPECT_EQ(SumMetric(*r, "plain_gauge"), 0.25);
  EXPECT_EQ(SumMetric(*r, "odd"), 1000);
  EXPECT_EQ(SumMetric(*r, "absent"), 0);
  EXPECT_EQ(SumMetric(*r, "cacheopt_preemptions_total", "kind=\"swap\""), 3);
  EXPECT_EQ(SumMetric(*r, "cacheopt_preemptions_total", "kind=\"recompute\""), 4);
  EXPECT_EQ(SumMetric(*r, "cacheopt_preemptions_total", "kind=\"swa\""), 0);  // whole labels only
}

TEST(PrometheusSampleTest, MalformedLineIsAnErrorNamingIt) {
  auto r = ParsePrometheusText("a 1\nb\n");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2"), std::string::npos);
  EXPECT_FALSE(ParsePrometheusText("a{x=\"1\"} nope\n").ok());
}

}  // namespace
}  // namespace cacheopt::realexp
