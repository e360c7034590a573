#include "trace/csv_splitter.h"

namespace cacheopt {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

CsvSplitter::CsvSplitter(std::string_view text) : text_(text) {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

// Skips lines holding only spaces; false when the text is exhausted.
bool CsvSplitter::SkipBlankLines() {
  while (pos_ < text_.size()) {
    size_t p = pos_;
    while (p < text_.size() && (IsSpace(text_[p]) || text_[p] == '\r')) ++p;
    if (p == text_.size()) {
      pos_ = p;
      return false;
    }
    if (text_[p] != '\n') return true;
    pos_ = p + 1;
    ++line_;
  }
  return false;
}

// At an opening quote: appends the unescaped content and leaves pos_ after
// the closing quote.
bool CsvSplitter::ReadQuoted(std::string* field) {
  ++pos_;
  while (true) {
    const size_t quote = text_.find('"', pos_);
    if (quote == std::string_view::npos) return false;
    const std::string_view chunk = text_.substr(pos_, quote - pos_);
    for (char c : chunk) line_ += c == '\n';
    field->append(chunk);
    pos_ = quote + 1;
    if (pos_ < text_.size() && text_[pos_] == '"') {
      field->push_back('"');
      ++pos_;
      continue;
    }
    return true;
  }
}

bool CsvSplitter::Next(std::vector<std::string>* fields, int64_t* line) {
  fields->clear();
  if (!error_.empty() || !SkipBlankLines()) return false;
  *line = line_;
  while (true) {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
    std::string& field = fields->emplace_back();
    if (pos_ < text_.size() && text_[pos_] == '"') {
      if (!ReadQuoted(&field)) {
        error_ = "unterminated quoted field";
        error_line_ = *line;
        return false;
      }
      while (pos_ < text_.size() && (IsSpace(text_[pos_]) || text_[pos_] == '\r')) ++pos_;
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n') {
        error_ = "unexpected text after a closing quote";
        error_line_ = line_;
        return false;
      }
    } else {
      size_t end = pos_;
      while (end < text_.size() && text_[end] != ',' && text_[end] != '\n') ++end;
      field.assign(Trim(text_.substr(pos_, end - pos_)));
      pos_ = end;
    }
    if (pos_ >= text_.size()) return true;
    if (text_[pos_++] == '\n') {
      ++line_;
      return true;
    }
  }
}

}  // namespace cacheopt
