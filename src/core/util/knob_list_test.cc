#include "cacheopt/util/knob_list.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

Knobs Two() { return {{"rate", {1, 0, 10}}, {"turns", {4, 1, 100}}}; }

TEST(KnobListTest, SetsNamedKnobsAndKeepsTheRestAtTheirDefaults) {
  Knobs k = Two();
  ASSERT_TRUE(ParseKnobList("w", "rate=2.5", &k).ok());
  EXPECT_EQ(k.at("rate").value, 2.5);
  EXPECT_EQ(k.at("turns").value, 4);
  EXPECT_TRUE(ParseKnobList("w", "", &k).ok());
}

TEST(KnobListTest, BadItemsAreNamed) {
  Knobs k = Two();
  EXPECT_EQ(ParseKnobList("router x", "speed=1", &k).message(), "unknown router x knob 'speed'; valid: rate, turns");
  EXPECT_EQ(ParseKnobList("w", "rate", &k).message(), "w: knob rate needs =VALUE");
  EXPECT_EQ(ParseKnobList("w", "rate=11", &k).message(), "w: knob rate must be a number in [0, 10], got '11'");
  EXPECT_EQ(ParseKnobList("w", "rate=1x", &k).message(), "w: knob rate must be a number in [0, 10], got '1x'");
  EXPECT_EQ(ParseKnobList("w", "rate=nan", &k).message(), "w: knob rate must be a number in [0, 10], got 'nan'");
  Knobs none;
  EXPECT_EQ(ParseKnobList("router rr", "a=1", &none).message(), "router rr takes no knobs, got 'a'");
}

}  // namespace
}  // namespace cacheopt
