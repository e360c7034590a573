#include "calibration/csv_table.h"

#include <charconv>
#include <cmath>

#include "calibration/text_file.h"
#include "trace/csv_splitter.h"
#include "trace/field_parse.h"

namespace cacheopt {

Result<CsvTable> CsvTable::Parse(std::string_view text, std::string source) {
  CsvTable t;
  t.source_ = std::move(source);
  CsvSplitter splitter(text);
  std::vector<std::string> fields;
  int64_t line = 0;
  if (!splitter.Next(&t.header_, &line)) {
    if (!splitter.error().empty()) {
      return RowContext{t.source_, splitter.error_line()}.Error(splitter.error());
    }
    return Status::InvalidArgument(t.source_ + ": empty file, expected a header row");
  }
  while (splitter.Next(&fields, &line)) {
    if (fields.size() != t.header_.size()) {
      return RowContext{t.source_, line}.Error("expected " + std::to_string(t.header_.size()) +
                                               " fields as in the header, got " +
                                               std::to_string(fields.size()));
    }
    t.rows_.push_back(std::move(fields));
    t.lines_.push_back(line);
  }
  if (!splitter.error().empty()) {
    return RowContext{t.source_, splitter.error_line()}.Error(splitter.error());
  }
  return t;
}

Result<CsvTable> CsvTable::Read(const std::string& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  return Parse(*text, path);
}

Result<int> CsvTable::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return Status::InvalidArgument(source_ + ": no column '" + std::string(name) + "' in the header");
}

bool CsvTable::HasColumn(std::string_view name) const { return Column(name).ok(); }

Status CsvTable::FieldError(size_t row, int col, std::string_view what) const {
  return RowContext{source_, lines_[row]}.FieldError(header_[col], what);
}

Result<double> CsvTable::Number(size_t row, int col) const {
  const std::string& s = rows_[row][col];
  if (s.empty()) return FieldError(row, col, "empty, expected a number");
  double v = 0;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
    return FieldError(row, col, "not a number: " + Quote(s));
  }
  return v;
}

Result<bool> CsvTable::Bool(size_t row, int col) const {
  const std::string& s = rows_[row][col];
  if (s == "True" || s == "true" || s == "1") return true;
  if (s == "False" || s == "false" || s == "0") return false;
  return FieldError(row, col, "not a boolean: " + Quote(s));
}

}  // namespace cacheopt
