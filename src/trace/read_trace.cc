// ReadTrace: reads the file whole (traces are a few MB) and hands the text to
// the reader its extension names.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>

#include "trace/csv_trace.h"
#include "trace/jsonl_trace.h"
#include "trace/trace.h"

namespace cacheopt {
namespace {

constexpr const char* kSupportedExtensions = ".csv, .jsonl, .json-lines, .ndjson";

std::string LowerExtension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext;
}

Result<std::string> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) {
    return Status::NotFound(path + ": no such trace file");
  }
  if (ec) return Status::IoError(path + ": " + ec.message());
  if (std::filesystem::is_directory(status)) {
    return Status::InvalidArgument(path + ": is a directory, not a trace file");
  }
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return Status::IoError(path + ": cannot open for reading");
  std::string text(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  if (!in.read(text.data(), static_cast<std::streamsize>(text.size()))) {
    return Status::IoError(path + ": read failed");
  }
  return text;
}

}  // namespace

Result<Trace> ReadTrace(const std::string& path) {
  Result<std::string> text = ReadWholeFile(path);
  if (!text.ok()) return text.status();
  const std::string ext = LowerExtension(path);
  const bool is_csv = ext == ".csv";
  const bool is_jsonl = ext == ".jsonl" || ext == ".json-lines" || ext == ".ndjson";
  if (!is_csv && !is_jsonl) {
    return Status::InvalidArgument(path + ": unknown trace extension '" + ext +
                                   "'; supported: " + kSupportedExtensions);
  }
  return is_csv ? ParseCsvTrace(*text, path) : ParseJsonlTrace(*text, path);
}

}  // namespace cacheopt
