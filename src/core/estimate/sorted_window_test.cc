#include "core/estimate/sorted_window.h"

#include <gtest/gtest.h>

#include <vector>

#include "cacheopt/metrics/percentile.h"
#include "cacheopt/random/distributions.h"

namespace cacheopt {
namespace {

std::vector<double> ToVector(std::span<const double> s) { return {s.begin(), s.end()}; }

TEST(EstimateSortedWindowTest, KeepsTheLastCapacityValuesSorted) {
  SortedWindow w(3);
  for (double x : {5.0, 1.0, 3.0}) w.Add(x);
  EXPECT_EQ(ToVector(w.sorted()), (std::vector<double>{1, 3, 5}));
  w.Add(4);  // 5 leaves
  EXPECT_EQ(ToVector(w.sorted()), (std::vector<double>{1, 3, 4}));
  w.Add(4);  // 1 leaves
  w.Add(0);  // 3 leaves
  EXPECT_EQ(ToVector(w.sorted()), (std::vector<double>{0, 4, 4}));
  EXPECT_EQ(w.size(), 3u);
}

TEST(EstimateSortedWindowTest, AboveAndBelowAreStrict) {
  SortedWindow w(10);
  for (double x : {1.0, 2.0, 2.0, 3.0}) w.Add(x);
  EXPECT_EQ(ToVector(w.Above(2)), (std::vector<double>{3}));
  EXPECT_EQ(ToVector(w.Below(2)), (std::vector<double>{1}));
  EXPECT_TRUE(w.Above(3).empty());
  EXPECT_EQ(w.Below(10).size(), 4u);
}

TEST(EstimateSortedWindowTest, MatchesSortingTheRecentValues) {
  Rng rng(7);
  SortedWindow w(50);
  std::vector<double> all;
  for (int i = 0; i < 500; ++i) {
    const double x = static_cast<double>(UniformInt(rng, 40));  // many duplicates
    w.Add(x);
    all.push_back(x);
    std::vector<double> recent(all.end() - std::min<ptrdiff_t>(50, std::ssize(all)), all.end());
    const double want = Percentile(recent, 90);  // sorts `recent`
    ASSERT_EQ(ToVector(w.sorted()), recent) << i;
    ASSERT_DOUBLE_EQ(PercentileOfSorted(w.sorted(), 90), want);
  }
}

TEST(EstimateSortedWindowTest, PercentileOfSortedInterpolates) {
  const std::vector<double> v = {10, 20, 30, 40};
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 50), 25);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 0), 10);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(v, 100), 40);
  EXPECT_DOUBLE_EQ(PercentileOfSorted(std::span<const double>(v).subspan(1, 2), 50), 25);
  EXPECT_EQ(PercentileOfSorted({}, 50), 0);
}

}  // namespace
}  // namespace cacheopt
