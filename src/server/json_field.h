// Type-checked reads of one JSON request field, each failing with a 400
// ApiError whose message names the field, says what was expected and what
// came ("'temperature' must be a number, got the string \"hot\"").
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "server/api_error.h"

namespace cacheopt {

using MaybeApiError = std::optional<ApiError>;

// "'field'".
std::string Quoted(std::string_view field);
// What a wrong value was, for "got ...": numbers, booleans, null and short
// strings verbatim, other types by name ("an array").
std::string DescribeJson(const nlohmann::json& v);
// "'field' must be <expected>, got <DescribeJson(v)>".
ApiError TypeError(std::string_view field, std::string_view expected, const nlohmann::json& v);
// "'field' is not supported: <why>".
ApiError Unsupported(std::string_view field, std::string_view why);

// An integer in [lo, hi]; `what` describes the range for the message.
MaybeApiError GetInt(const nlohmann::json& v, std::string_view field, int64_t lo, int64_t hi,
                     std::string_view what, int64_t* out);
// An integer in [lo, INT32_MAX].
MaybeApiError GetInt32(const nlohmann::json& v, std::string_view field, int64_t lo,
                       std::string_view what, int32_t* out);
MaybeApiError GetNumber(const nlohmann::json& v, std::string_view field, double* out);
MaybeApiError GetBool(const nlohmann::json& v, std::string_view field, bool* out);
MaybeApiError GetString(const nlohmann::json& v, std::string_view field, std::string* out);

}  // namespace cacheopt
