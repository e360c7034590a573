// Collects parsed rows in file order and enforces the rules every format
// shares, so each reader only turns text into fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "cacheopt/status.h"
#include "trace/field_parse.h"
#include "trace/trace.h"

namespace cacheopt {

class TraceBuilder {
 public:
  // `arrival_field` names the timestamp field in messages.
  TraceBuilder(std::string source, std::string format, std::string arrival_field);

  // `arrival_s`: seconds on any fixed origin, or none. The first row decides
  // whether the trace is timestamped; every later row must agree. Timestamps
  // must not decrease: traces are sorted, and a row out of order more likely
  // means a damaged file than a wish to be sorted silently.
  Status Add(const RowContext& ctx, std::optional<double> arrival_s, TraceRow row);

  // Rebases arrivals to the first row (it arrives at 0). No rows is an error.
  Result<Trace> Finish() &&;

 private:
  Trace trace_;
  std::string arrival_field_;
  double first_arrival_ = 0;
  double last_arrival_ = 0;
};

}  // namespace cacheopt
