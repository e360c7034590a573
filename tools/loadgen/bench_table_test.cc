#include "loadgen/bench_table.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

TEST(BenchTableTest, HeadersAreCentredAsPythonDoes) {
  EXPECT_EQ(Centered(" Serving Benchmark Result ", 50, '='), "============ Serving Benchmark Result ============");
  EXPECT_EQ(Centered("Time to First Token", 50, '-'), "---------------Time to First Token----------------");
  EXPECT_EQ(Centered("Time per Output Token (excl. 1st token)", 50, '-'),
            "-----Time per Output Token (excl. 1st token)------");
}

TEST(BenchTableTest, RowsAndErrors) {
  BenchRun run;
  run.options.plan.rate_rps = 2;
  run.summary.completed = 19;
  run.summary.failed = 1;
  run.summary.duration_s = 12.345;
  run.summary.ttft.mean_ms = 33.333;
  run.records.resize(3);
  run.records[0].success = true;
  run.records[1].error = "POST x: HTTP 429 (queue full)";
  run.records[2].error = "POST x: HTTP 429 (queue full)";
  const std::string t = FormatResultTable(run);
  EXPECT_THAT(t, HasSubstr("Successful requests:                     19        \n"));
  EXPECT_THAT(t, HasSubstr("Request rate configured (RPS):           2.00      \n"));
  EXPECT_THAT(t, HasSubstr("Benchmark duration (s):                  12.35     \n"));
  EXPECT_THAT(t, HasSubstr("Mean TTFT (ms):                          33.33     \n"));
  EXPECT_THAT(t, HasSubstr("TBT SLO attainment, token gaps (%):      n/a"));
  EXPECT_THAT(t, ::testing::Not(HasSubstr("Request goodput")));
  EXPECT_EQ(FormatErrors(run), "  2 x POST x: HTTP 429 (queue full)\n");
}

}  // namespace
}  // namespace cacheopt::bench
