// Fuzzes the trace readers with the input as a whole trace file, read both
// as CSV (ParseCsvTrace: header detection, RFC 4180 splitting, Azure
// timestamps) and as JSON Lines (ParseJsonlTrace). Checks the rules
// docs/trace-format.md states for every format: an error is an
// InvalidArgument starting with the file name; a trace has at least one row,
// a known format, token counts >= 1, max_tokens -1 or >= 1, a known (or
// empty) SLO class, increasing 1-based line numbers, and either no arrivals
// (all -1) or finite ones that start at 0 and never decrease.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_util.h"
#include "trace/csv_trace.h"
#include "trace/jsonl_trace.h"

namespace {

using namespace cacheopt;

void Check(const Result<Trace>& r, const std::string& source, bool csv) {
  if (!r.ok()) {
    FUZZ_CHECK(r.status().code() == StatusCode::kInvalidArgument);
    FUZZ_CHECK(r.status().message().rfind(source + ":", 0) == 0);
    return;
  }
  const Trace& t = r.value();
  FUZZ_CHECK(t.source == source && !t.rows.empty());
  if (csv) {
    FUZZ_CHECK(t.format == "azure" || t.format == "vidur" || t.format == "csv");
  } else {
    FUZZ_CHECK(t.format == "jsonl");
  }
  if (t.format == "azure") FUZZ_CHECK(t.has_timestamps);
  int64_t last_line = csv ? 1 : 0;  // a CSV's header is line 1 at least
  double last_arrival = 0;
  for (const TraceRow& row : t.rows) {
    FUZZ_CHECK(row.prompt_tokens >= 1 && row.output_tokens >= 1);
    FUZZ_CHECK(row.max_tokens == -1 || row.max_tokens >= 1);
    FUZZ_CHECK(row.slo_class.empty() || row.slo_class == "tight" || row.slo_class == "medium" ||
               row.slo_class == "loose");
    FUZZ_CHECK(row.line > last_line);
    last_line = row.line;
    if (t.has_timestamps) {
      FUZZ_CHECK(std::isfinite(row.arrival_s) && row.arrival_s >= last_arrival);
      last_arrival = row.arrival_s;
    } else {
      FUZZ_CHECK(row.arrival_s == -1);
    }
  }
  if (t.has_timestamps) FUZZ_CHECK(t.rows.front().arrival_s == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Check(ParseCsvTrace(text, "fuzz.csv"), "fuzz.csv", true);
  Check(ParseJsonlTrace(text, "fuzz.jsonl"), "fuzz.jsonl", false);
  return 0;
}
