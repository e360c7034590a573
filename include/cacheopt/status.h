// Status and Result<T>: errors a caller can act on (bad input, missing file),
// as values; both must be looked at ([[nodiscard]]). Broken invariants are
// asserts, not Status. Result<T, E> carries another error type where a layer
// has its own (the server's ApiError, which knows its HTTP status).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace cacheopt {

enum class StatusCode { kOk, kInvalidArgument, kNotFound, kIoError, kOutOfRange };

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
  static Status NotFound(std::string m) { return Status(StatusCode::kNotFound, std::move(m)); }
  static Status IoError(std::string m) { return Status(StatusCode::kIoError, std::move(m)); }
  static Status OutOfRange(std::string m) { return Status(StatusCode::kOutOfRange, std::move(m)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  Status(StatusCode c, std::string m) : code_(c), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the error explaining why there is none.
template <typename T, typename E = Status>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(E error) : error_(std::move(error)) {   // NOLINT
    if constexpr (std::is_same_v<E, Status>) assert(!error_.ok());
  }
  bool ok() const { return value_.has_value(); }
  const E& status() const { return error_; }
  const E& error() const {
    assert(!ok());
    return error_;
  }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  E error_;
};

}  // namespace cacheopt
