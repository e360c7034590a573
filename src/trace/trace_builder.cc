#include "trace/trace_builder.h"

#include <utility>

namespace cacheopt {

TraceBuilder::TraceBuilder(std::string source, std::string format, std::string arrival_field)
    : arrival_field_(std::move(arrival_field)) {
  trace_.source = std::move(source);
  trace_.format = std::move(format);
}

Status TraceBuilder::Add(const RowContext& ctx, std::optional<double> arrival_s, TraceRow row) {
  if (trace_.rows.empty()) {
    trace_.has_timestamps = arrival_s.has_value();
    if (arrival_s) first_arrival_ = last_arrival_ = *arrival_s;
  } else if (arrival_s.has_value() != trace_.has_timestamps) {
    return ctx.FieldError(arrival_field_,
                          arrival_s ? "given, but the first row has none (give it on every row "
                                      "or on none)"
                                    : "missing, but the first row has one (give it on every "
                                      "row or on none)");
  } else if (arrival_s) {
    if (*arrival_s < last_arrival_) {
      return ctx.FieldError(arrival_field_, "goes backwards by " +
                                                SecondsText(last_arrival_ - *arrival_s) +
                                                " s from the previous row; rows must be sorted "
                                                "by arrival");
    }
    last_arrival_ = *arrival_s;
  }
  row.arrival_s = arrival_s ? *arrival_s - first_arrival_ : -1;
  row.line = ctx.line;
  trace_.rows.push_back(std::move(row));
  return Status::Ok();
}

Result<Trace> TraceBuilder::Finish() && {
  if (trace_.rows.empty()) {
    return Status::InvalidArgument(trace_.source + ": no rows (a " + trace_.format +
                                   " trace needs at least one request)");
  }
  return std::move(trace_);
}

}  // namespace cacheopt
