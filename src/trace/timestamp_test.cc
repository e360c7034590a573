#include "trace/timestamp.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace cacheopt {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

TEST(TimestampTest, EpochAndKnownDates) {
  EXPECT_EQ(ParseDateTimeNanos("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParseDateTimeNanos("1970-01-02T00:00:01.5"), 86401 * kSecond + kSecond / 2);
  // 2023-11-16 18:15:46 UTC is Unix time 1700158546 (no zone is applied).
  EXPECT_EQ(ParseDateTimeNanos("2023-11-16 18:15:46.6805900"), 1700158546 * kSecond + 680590000);
  EXPECT_EQ(ParseDateTimeNanos("2000-02-29 00:00:00.123456789"), 951782400 * kSecond + 123456789);
  EXPECT_EQ(ParseDateTimeNanos("1969-12-31 23:59:59"), -kSecond);
}

TEST(TimestampTest, DifferencesAreExact) {
  const int64_t a = *ParseDateTimeNanos("2023-11-16 18:15:46.6805900");
  const int64_t b = *ParseDateTimeNanos("2023-11-16 18:15:50.9951690");
  EXPECT_EQ(b - a, 4'314'579'000);
  const int64_t c = *ParseDateTimeNanos("2023-12-31 23:59:59.9999999");
  const int64_t d = *ParseDateTimeNanos("2024-01-01 00:00:00.0000001");
  EXPECT_EQ(d - c, 200);
}

// Found by fuzz/trace_fuzz.cc: year 2323 overflowed int64 nanoseconds
// (undefined behaviour). Instants outside int64 are no timestamp; the
// extremes still parse.
TEST(TimestampTest, OnlyInstantsThatFitInt64Nanoseconds) {
  EXPECT_EQ(ParseDateTimeNanos("2262-04-11 23:47:16.854775807"), INT64_MAX);
  EXPECT_EQ(ParseDateTimeNanos("1677-09-21 00:12:43.145224192"), INT64_MIN);
  EXPECT_EQ(ParseDateTimeNanos("1677-09-21 00:12:44"), INT64_MIN + 854775808);
  for (const char* out_of_range :
       {"2323-11-16 18:00:01.5", "2262-04-11 23:47:16.854775808", "2262-04-11 23:47:17",
        "1677-09-21 00:12:43.145224191", "1677-09-21 00:12:43", "9999-12-31 23:59:59.999999999",
        "0000-01-01 00:00:00"}) {
    EXPECT_FALSE(ParseDateTimeNanos(out_of_range).has_value()) << out_of_range;
  }
}

TEST(TimestampTest, RejectsMalformed) {
  for (const char* bad :
       {"", "2023-11-16", "2023-11-16 18:15", "2023-13-01 00:00:00", "2023-02-29 00:00:00",
        "2023-11-16 24:00:00", "2023-11-16 18:60:00", "2023-11-16 18:15:46.",
        "2023-11-16 18:15:46.1234567890", "2023-11-16 18:15:46Z", "23-11-16 18:15:46",
        "2023/11/16 18:15:46", "4.314579"}) {
    EXPECT_FALSE(ParseDateTimeNanos(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace cacheopt
