// A CSV file with a header row, held as text, with typed field access whose
// errors name the file, line and column ("<file>:<line>: field '<col>': ...",
// the shape the trace readers use). Records are split by trace/csv_splitter.h.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

class CsvTable {
 public:
  // `source` names the text in messages (usually its path). A record with a
  // different number of fields than the header is an error.
  static Result<CsvTable> Parse(std::string_view text, std::string source);
  // ReadTextFile (".xz" decompressed) then Parse.
  static Result<CsvTable> Read(const std::string& path);

  // Index of a header column; missing: an error naming the file and column.
  Result<int> Column(std::string_view name) const;
  bool HasColumn(std::string_view name) const;

  size_t rows() const { return rows_.size(); }
  const std::string& source() const { return source_; }
  const std::vector<std::string>& header() const { return header_; }
  int64_t line(size_t row) const { return lines_[row]; }
  const std::string& Field(size_t row, int col) const { return rows_[row][col]; }

  // A finite decimal number; anything else names file, line and column.
  Result<double> Number(size_t row, int col) const;
  // "True"/"true"/"1" or "False"/"false"/"0".
  Result<bool> Bool(size_t row, int col) const;

  // "<file>:<line>: field '<column>': <what>", for checks beyond parsing.
  Status FieldError(size_t row, int col, std::string_view what) const;

 private:
  std::string source_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<int64_t> lines_;
};

}  // namespace cacheopt
