// Field-level parsing shared by the trace readers. Every failure becomes
// "<file>:<line>: field '<name>': <what>", the one error shape users see.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cacheopt/status.h"

namespace cacheopt {

// Where a row came from, for error messages.
struct RowContext {
  std::string_view source;
  int64_t line = 0;

  Status FieldError(std::string_view field, std::string_view what) const;
  Status Error(std::string_view what) const;  // "<file>:<line>: <what>"
};

// A token count: a decimal integer in [1, 2^31). Counts of zero are rejected:
// every request has a prompt and emits at least its first token.
Status ParseCount(const RowContext& ctx, std::string_view field, std::string_view text,
                  int32_t* out);
Status CheckCount(const RowContext& ctx, std::string_view field, int64_t value, int32_t* out);

// Seconds: a finite decimal number >= 0.
Status ParseSeconds(const RowContext& ctx, std::string_view field, std::string_view text,
                    double* out);
Status CheckSeconds(const RowContext& ctx, std::string_view field, double value, double* out);

// "tight" | "medium" | "loose"; "" means none given.
Status CheckSloClass(const RowContext& ctx, std::string_view field, std::string_view text,
                     std::string* out);

// Seconds as a short decimal ("4.5", "-1") for messages.
std::string SecondsText(double seconds);

// Text shortened for quoting inside a message.
std::string Quote(std::string_view text);

}  // namespace cacheopt
