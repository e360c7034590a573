#include "server/json_field.h"

namespace cacheopt {

using json = nlohmann::json;

namespace {
constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
}  // namespace

std::string Quoted(std::string_view field) { return "'" + std::string(field) + "'"; }

std::string DescribeJson(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
    case json::value_t::number_float: return v.dump();
    case json::value_t::string: {
      const auto& s = v.get_ref<const std::string&>();
      if (s.size() <= 32)
        return "the string " + v.dump(-1, ' ', false, json::error_handler_t::replace);
      return "a string";
    }
    case json::value_t::array: return "an array";
    case json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

ApiError TypeError(std::string_view field, std::string_view expected, const json& v) {
  return InvalidRequest(std::string(field), Quoted(field) + " must be " + std::string(expected) +
                                                ", got " + DescribeJson(v));
}

ApiError Unsupported(std::string_view field, std::string_view why) {
  return InvalidRequest(std::string(field),
                        Quoted(field) + " is not supported: " + std::string(why));
}

MaybeApiError GetInt(const json& v, std::string_view field, int64_t lo, int64_t hi,
                     std::string_view what, int64_t* out) {
  if (!v.is_number_integer()) return TypeError(field, "an integer", v);
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(hi)) {
    return TypeError(field, what, v);
  }
  int64_t x = v.get<int64_t>();
  if (x < lo || x > hi) return TypeError(field, what, v);
  *out = x;
  return std::nullopt;
}

MaybeApiError GetInt32(const json& v, std::string_view field, int64_t lo, std::string_view what,
                       int32_t* out) {
  int64_t x = 0;
  if (auto e = GetInt(v, field, lo, kInt32Max, what, &x)) return e;
  *out = static_cast<int32_t>(x);
  return std::nullopt;
}

MaybeApiError GetNumber(const json& v, std::string_view field, double* out) {
  if (!v.is_number()) return TypeError(field, "a number", v);
  *out = v.get<double>();
  return std::nullopt;
}

MaybeApiError GetBool(const json& v, std::string_view field, bool* out) {
  if (!v.is_boolean()) return TypeError(field, "a boolean", v);
  *out = v.get<bool>();
  return std::nullopt;
}

MaybeApiError GetString(const json& v, std::string_view field, std::string* out) {
  if (!v.is_string()) return TypeError(field, "a string", v);
  *out = v.get<std::string>();
  return std::nullopt;
}

}  // namespace cacheopt
