#include "core/estimate/estimator.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

TEST(EstimatorRegistryTest, Names) {
  EXPECT_EQ(EstimatorNames(), (std::vector<std::string>{"history", "text", "oracle", "noisy-oracle"}));
}

TEST(EstimatorRegistryTest, BuildsEachByName) {
  EstimatorOptions o;
  o.truth = [](int64_t) { return 10; };
  for (const std::string& name : EstimatorNames()) {
    o.name = name;
    auto est = MakeEstimator(o);
    ASSERT_TRUE(est.ok()) << name << ": " << est.status().message();
    EXPECT_EQ((*est)->name(), name);
  }
}

TEST(EstimatorRegistryTest, UnknownNameListsTheValidOnes) {
  EstimatorOptions o;
  o.name = "crystal-ball";
  auto est = MakeEstimator(o);
  ASSERT_FALSE(est.ok());
  EXPECT_EQ(est.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(est.status().message(), "unknown estimator 'crystal-ball'; valid: history, text, oracle, noisy-oracle");
}

TEST(EstimatorRegistryTest, OraclesNeedTheSimulatorsTruth) {
  for (const char* name : {"oracle", "noisy-oracle"}) {
    EstimatorOptions o;
    o.name = name;
    auto est = MakeEstimator(o);
    ASSERT_FALSE(est.ok()) << name;
    EXPECT_EQ(est.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(est.status().message().find("simulation only"), std::string::npos);
  }
  EstimatorOptions o;  // history needs none
  EXPECT_TRUE(MakeEstimator(o).ok());
}

TEST(EstimatorRegistryTest, RejectsBadOptions) {
  const auto bad = [](auto change) {
    EstimatorOptions o;
    change(o);
    return !MakeEstimator(o).ok();
  };
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.residual_window = 0; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.min_bucket_samples = 0; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.history_window = 10; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.prior_tokens = 0; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.noise_spread = -1; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.text_learning_rate = 0; }));
  EXPECT_TRUE(bad([](EstimatorOptions& o) { o.text_learning_rate = 2; }));
  EXPECT_FALSE(bad([](EstimatorOptions& o) {}));
}

}  // namespace
}  // namespace cacheopt
