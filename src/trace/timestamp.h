// Calendar timestamps as written in the Azure traces. No time zone is given
// there and none is applied: only differences between rows matter.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cacheopt {

// "YYYY-MM-DD HH:MM:SS[.f...]" (a 'T' may replace the space; 0 to 9
// fractional digits) -> nanoseconds since 1970-01-01 00:00:00 of the same
// unnamed zone, computed in integers so sub-microsecond digits survive.
// nullopt if the text is not such a timestamp, names no real date, or lies
// outside int64 nanoseconds (before 1677-09-21 00:12:43.145224192 or after
// 2262-04-11 23:47:16.854775807).
std::optional<int64_t> ParseDateTimeNanos(std::string_view text);

}  // namespace cacheopt
