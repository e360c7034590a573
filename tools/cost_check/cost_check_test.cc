#include "cost_check/cost_check.h"

#include <gtest/gtest.h>

#include <cmath>

#include "calibration/test_util.h"

namespace cacheopt {
namespace {

TEST(CostCheckTest, SplitwiseCalibrationWithinTenPercent) {
  const std::string dir = testing::SharedDataDir();
  if (dir.empty()) GTEST_SKIP() << "../shared/data absent";
  Result<CostCheckReport> r = RunCostCheck(dir);
  ASSERT_TRUE(r.ok()) << r.status().message();
  std::printf("%s", FormatCostCheck(*r).c_str());
  int calibration = 0, held = 0;
  for (const CostCheckRow& row : r->rows) {
    if (row.calibration) {
      ++calibration;
      EXPECT_LT(std::fabs(row.error), 0.10)
          << row.setup << " " << row.kind << " prompt " << row.prompt << " batch " << row.batch;
    } else if (!row.suspect) {
      ++held;
      // Held back: reported, only sanity-checked.
      EXPECT_LT(std::fabs(row.error), 0.50)
          << row.setup << " " << row.kind << " prompt " << row.prompt << " batch " << row.batch;
    }
  }
  EXPECT_GE(calibration, 4 + 6);  // prefill 512/2048/4096 + decode rows at batch 1
  EXPECT_GE(held, 60);
}

TEST(CostCheckTest, MissingDataIsAnError) { EXPECT_FALSE(RunCostCheck("/nonexistent").ok()); }

}  // namespace
}  // namespace cacheopt
