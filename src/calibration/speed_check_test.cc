#include "calibration/speed_check.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

// A profile whose step i is a decode batch of i+1 sequences taking (i+1) ms.
CpuCostProfile Base(int steps) {
  CpuCostProfile p;
  p.model_path = "/m/model-15m.bin";
  p.coeffs = {1e-3, 2e-6, 3e-9, 4e-6, 5e-9};
  p.copy_bytes_per_s = 4e9;
  for (int i = 0; i < steps; ++i) {
    CpuProfileStep s;
    s.seqs.assign(static_cast<size_t>(i + 1), SeqWork{1, 128});
    s.seconds = 1e-3 * (i + 1);
    p.steps.push_back(s);
  }
  p.copies = {{8, true, 2e-4}};
  return p;
}

TEST(SpeedCheckTest, ShapesSpreadOverTheRangeWithBothEnds) {
  const CpuCostProfile base = Base(20);  // 1..20 ms
  const auto shapes = SpeedCheckShapes(base, 4, 2e-3, 11e-3);  // 2..11 ms in range: 10 steps
  ASSERT_EQ(shapes.size(), 4u);
  EXPECT_EQ(shapes.front().size(), 2u);  // the 2 ms batch
  EXPECT_EQ(shapes.back().size(), 11u);  // the 11 ms batch
  EXPECT_EQ(shapes[1].size(), 5u);       // ranks 0, 3, 6, 9
  EXPECT_EQ(shapes[2].size(), 8u);
  EXPECT_EQ(SpeedCheckShapes(base, 50, 2e-3, 11e-3).size(), 10u);
  EXPECT_TRUE(SpeedCheckShapes(base, 4, 1.0, 2.0).empty());
}

TEST(SpeedCheckTest, FactorIsTheMedianRatioOverMatchingBatches) {
  const CpuCostProfile base = Base(10);
  CpuCostProfile now;
  // 1.1x, 1.3x and 1.2x slower on three shapes; one batch the base never timed.
  for (auto [n, ratio] : {std::pair{2, 1.1}, {5, 1.3}, {9, 1.2}}) {
    CpuProfileStep s;
    s.seqs.assign(static_cast<size_t>(n), SeqWork{1, 128});
    s.seconds = ratio * 1e-3 * n;
    now.steps.push_back(s);
  }
  now.steps.push_back({{{64, 0}}, 1.0});
  auto f = SpeedFactor(base, now, "now.json");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_NEAR(*f, 1.2, 1e-12);
}

TEST(SpeedCheckTest, NoMatchingBatchNamesTheFileAndField) {
  CpuCostProfile now;
  now.steps.push_back({{{64, 0}}, 1.0});
  auto f = SpeedFactor(Base(3), now, "now.json");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("now.json: steps"), std::string::npos) << f.status().message();
}

TEST(SpeedCheckTest, ScaledProfilePredictsEveryStepThatMuchSlower) {
  const CpuCostProfile base = Base(6);
  const CpuCostProfile slow = ScaledProfile(base, 1.25);
  const auto a = MakeProfiledCostModel(base), b = MakeProfiledCostModel(slow);
  for (const CpuProfileStep& s : base.steps) EXPECT_NEAR(b->StepTime(s.seqs), 1.25 * a->StepTime(s.seqs), 1e-12);
  EXPECT_NEAR(b->SwapTime(8, 8, 16), 1.25 * a->SwapTime(8, 8, 16), 1e-12);
  EXPECT_NEAR(slow.steps[3].seconds, 1.25 * base.steps[3].seconds, 1e-15);
  EXPECT_EQ(slow.model_path, base.model_path);
}

}  // namespace
}  // namespace cacheopt
