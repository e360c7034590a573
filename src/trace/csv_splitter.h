// A small CSV record splitter: RFC 4180 quoting (a quoted field may hold
// commas, doubled quotes and line breaks), LF or CRLF line ends, a leading
// UTF-8 byte-order mark, blank lines skipped, spaces around fields trimmed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cacheopt {

class CsvSplitter {
 public:
  explicit CsvSplitter(std::string_view text);

  // Reads the next record into *fields and its first line (1-based) into
  // *line. Returns false at the end of the text or on a malformed record;
  // error() then tells which.
  bool Next(std::vector<std::string>* fields, int64_t* line);

  // Empty unless Next stopped on a malformed record; error_line() says where.
  const std::string& error() const { return error_; }
  int64_t error_line() const { return error_line_; }

 private:
  bool SkipBlankLines();
  bool ReadQuoted(std::string* field);

  std::string_view text_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  std::string error_;
  int64_t error_line_ = 0;
};

}  // namespace cacheopt
