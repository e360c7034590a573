#include "trace/csv_trace.h"

#include <optional>
#include <utility>
#include <vector>

#include "trace/csv_splitter.h"
#include "trace/field_parse.h"
#include "trace/timestamp.h"
#include "trace/trace_builder.h"

namespace cacheopt {
namespace {

enum class Column {
  kArrivalSeconds,   // decimal seconds
  kArrivalDateTime,  // "YYYY-MM-DD HH:MM:SS.fffffff"
  kPrompt,
  kOutput,
  kMaxTokens,
  kSloClass,
  kPromptText,  // accepted, not kept: TraceRow has no text field
};

struct ColumnSpec {
  std::string_view name;
  Column column;
  bool required;
};

struct CsvSchema {
  std::string_view format;
  std::string_view note;  // for the list of supported headers
  std::vector<ColumnSpec> columns;
};

// The registry of CSV layouts, tried in order; the first whose required
// columns are all in the header wins.
const std::vector<CsvSchema>& Schemas() {
  static const auto* schemas = new std::vector<CsvSchema>{
      {"azure",
       "Azure LLM inference trace 2023",
       {{"TIMESTAMP", Column::kArrivalDateTime, true},
        {"ContextTokens", Column::kPrompt, true},
        {"GeneratedTokens", Column::kOutput, true}}},
      {"vidur",
       "Vidur processed traces; arrived_at optional",
       {{"arrived_at", Column::kArrivalSeconds, false},
        {"num_prefill_tokens", Column::kPrompt, true},
        {"num_decode_tokens", Column::kOutput, true}}},
      {"csv",
       "this project's columns; all but the first two optional",
       {{"prompt_tokens", Column::kPrompt, true},
        {"output_tokens", Column::kOutput, true},
        {"arrival_s", Column::kArrivalSeconds, false},
        {"max_tokens", Column::kMaxTokens, false},
        {"slo_class", Column::kSloClass, false},
        {"prompt", Column::kPromptText, false}}},
  };
  return *schemas;
}

// A schema column found in the header, with its position.
struct Bound {
  const ColumnSpec* spec;
  size_t index;
};

std::optional<std::vector<Bound>> Bind(const CsvSchema& schema,
                                       const std::vector<std::string>& header) {
  std::vector<Bound> bound;
  for (const ColumnSpec& spec : schema.columns) {
    size_t i = 0;
    while (i < header.size() && header[i] != spec.name) ++i;
    if (i < header.size()) {
      bound.push_back({&spec, i});
    } else if (spec.required) {
      return std::nullopt;
    }
  }
  return bound;
}

std::string JoinHeader(const std::vector<std::string>& header) {
  std::string out;
  for (const std::string& h : header) out += (out.empty() ? "" : ",") + h;
  return out;
}

// Fills `row` and `arrival` from one field; `first_nanos` anchors datetimes.
Status ParseField(const RowContext& ctx, const ColumnSpec& spec, std::string_view text,
                  std::optional<int64_t>* first_nanos, TraceRow* row,
                  std::optional<double>* arrival) {
  switch (spec.column) {
    case Column::kArrivalSeconds: {
      if (text.empty()) return Status::Ok();  // absent; the builder judges
      double s = 0;
      Status st = ParseSeconds(ctx, spec.name, text, &s);
      if (st.ok()) *arrival = s;
      return st;
    }
    case Column::kArrivalDateTime: {
      const std::optional<int64_t> nanos = ParseDateTimeNanos(text);
      if (!nanos) {
        return ctx.FieldError(spec.name,
                              "not a timestamp YYYY-MM-DD HH:MM:SS.fffffff: " + Quote(text));
      }
      if (!*first_nanos) *first_nanos = *nanos;
      // Integer difference first: exact to the nanosecond before scaling.
      // Both fit in int64, their difference need not (rows over 292 years
      // apart; signed overflow found by fuzz/trace_fuzz.cc).
      int64_t since_first = 0;
      if (__builtin_sub_overflow(*nanos, **first_nanos, &since_first)) {
        return ctx.FieldError(spec.name, "more than 292 years from the first row's: " + Quote(text));
      }
      *arrival = static_cast<double>(since_first) * 1e-9;
      return Status::Ok();
    }
    case Column::kPrompt:
      return ParseCount(ctx, spec.name, text, &row->prompt_tokens);
    case Column::kOutput:
      return ParseCount(ctx, spec.name, text, &row->output_tokens);
    case Column::kMaxTokens:
      return text.empty() ? Status::Ok() : ParseCount(ctx, spec.name, text, &row->max_tokens);
    case Column::kSloClass:
      return CheckSloClass(ctx, spec.name, text, &row->slo_class);
    case Column::kPromptText:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace

std::string SupportedCsvHeaders() {
  std::string out;
  for (const CsvSchema& schema : Schemas()) {
    std::string required, optional;
    for (const ColumnSpec& c : schema.columns) {
      std::string& list = c.required ? required : optional;
      list += (list.empty() ? "" : ",") + std::string(c.name);
    }
    out += "  " + required + (optional.empty() ? "" : " [optional: " + optional + "]") + " (" +
           std::string(schema.format) + ": " + std::string(schema.note) + ")\n";
  }
  return out;
}

Result<Trace> ParseCsvTrace(std::string_view text, const std::string& source) {
  CsvSplitter splitter(text);
  std::vector<std::string> fields;
  int64_t line = 0;
  const auto split_error = [&] {
    return RowContext{source, splitter.error_line()}.Error(splitter.error());
  };
  if (!splitter.Next(&fields, &line)) {
    if (!splitter.error().empty()) return split_error();
    return Status::InvalidArgument(source + ": empty file (expected a CSV header and rows)");
  }
  const std::vector<std::string> header = fields;
  for (size_t i = 0; i < header.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (header[i] == header[j]) {
        return RowContext{source, line}.Error("duplicate column '" + header[i] + "' in header");
      }
    }
  }
  const CsvSchema* schema = nullptr;
  std::vector<Bound> bound;
  for (const CsvSchema& candidate : Schemas()) {
    if (auto b = Bind(candidate, header)) {
      schema = &candidate;
      bound = std::move(*b);
      break;
    }
  }
  if (!schema) {
    return Status::InvalidArgument(source + ":" + std::to_string(line) +
                                   ": unrecognized CSV header '" + JoinHeader(header) +
                                   "'; supported headers:\n" + SupportedCsvHeaders());
  }
  std::string arrival_field;
  for (const Bound& b : bound) {
    const Column c = b.spec->column;
    if (c == Column::kArrivalSeconds || c == Column::kArrivalDateTime) {
      arrival_field = std::string(b.spec->name);
    }
  }
  TraceBuilder builder(source, std::string(schema->format), arrival_field);
  std::optional<int64_t> first_nanos;
  while (splitter.Next(&fields, &line)) {
    const RowContext ctx{source, line};
    if (fields.size() > header.size()) {
      return ctx.Error("row has " + std::to_string(fields.size()) + " columns, header has " +
                       std::to_string(header.size()));
    }
    TraceRow row;
    std::optional<double> arrival;
    for (const Bound& b : bound) {
      if (b.index >= fields.size()) {
        return ctx.FieldError(b.spec->name, "missing column (row has " +
                                                std::to_string(fields.size()) + " of " +
                                                std::to_string(header.size()) + ")");
      }
      Status st = ParseField(ctx, *b.spec, fields[b.index], &first_nanos, &row, &arrival);
      if (!st.ok()) return st;
    }
    Status st = builder.Add(ctx, arrival, std::move(row));
    if (!st.ok()) return st;
  }
  if (!splitter.error().empty()) return split_error();
  return std::move(builder).Finish();
}

}  // namespace cacheopt
