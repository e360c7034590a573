#include "trace/field_parse.h"

#include <charconv>
#include <cmath>
#include <sstream>

namespace cacheopt {
namespace {

constexpr size_t kMaxQuoted = 40;

}  // namespace

Status RowContext::FieldError(std::string_view field, std::string_view what) const {
  return Error("field '" + std::string(field) + "': " + std::string(what));
}

Status RowContext::Error(std::string_view what) const {
  return Status::InvalidArgument(std::string(source) + ":" + std::to_string(line) + ": " +
                                 std::string(what));
}

std::string SecondsText(double seconds) {
  std::ostringstream out;
  out.precision(9);
  out << seconds;
  return out.str();
}

std::string Quote(std::string_view text) {
  if (text.size() <= kMaxQuoted) return "'" + std::string(text) + "'";
  return "'" + std::string(text.substr(0, kMaxQuoted)) + "...'";
}

Status ParseCount(const RowContext& ctx, std::string_view field, std::string_view text,
                  int32_t* out) {
  if (text.empty()) return ctx.FieldError(field, "empty");
  int64_t value = 0;
  const char* end = text.data() + text.size();
  // from_chars rejects '+' and leading spaces; both are fine to reject here.
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range) {
    return ctx.FieldError(field, "out of range: " + Quote(text));
  }
  if (ec != std::errc() || ptr != end) {
    return ctx.FieldError(field, "not an integer: " + Quote(text));
  }
  return CheckCount(ctx, field, value, out);
}

Status CheckCount(const RowContext& ctx, std::string_view field, int64_t value, int32_t* out) {
  if (value < 1) return ctx.FieldError(field, "must be >= 1, got " + std::to_string(value));
  if (value > INT32_MAX) return ctx.FieldError(field, "out of range: " + std::to_string(value));
  *out = static_cast<int32_t>(value);
  return Status::Ok();
}

Status ParseSeconds(const RowContext& ctx, std::string_view field, std::string_view text,
                    double* out) {
  if (text.empty()) return ctx.FieldError(field, "empty");
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) {
    return ctx.FieldError(field, "not a number: " + Quote(text));
  }
  return CheckSeconds(ctx, field, value, out);
}

Status CheckSeconds(const RowContext& ctx, std::string_view field, double value, double* out) {
  if (!std::isfinite(value)) return ctx.FieldError(field, "not a finite number");
  if (value < 0) return ctx.FieldError(field, "must be >= 0, got " + SecondsText(value));
  *out = value;
  return Status::Ok();
}

Status CheckSloClass(const RowContext& ctx, std::string_view field, std::string_view text,
                     std::string* out) {
  if (text.empty() || text == "tight" || text == "medium" || text == "loose") {
    *out = std::string(text);
    return Status::Ok();
  }
  return ctx.FieldError(field, "must be tight, medium or loose, got " + Quote(text));
}

}  // namespace cacheopt
