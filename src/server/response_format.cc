#include "server/response_format.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "server/json_field.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using K = JsonSchema::Kind;

constexpr size_t kMaxProperties = 64, kMaxEnum = 64, kMaxAnyOf = 64;
constexpr int kMaxDepth = 32;

constexpr std::array<std::string_view, 6> kAnnotations = {"title", "description", "$schema", "$id", "default",
                                                          "examples"};

bool IsAnnotation(std::string_view k) {
  return std::find(kAnnotations.begin(), kAnnotations.end(), k) != kAnnotations.end();
}

ApiError Outside(const std::string& path, const std::string& what) {
  return Unsupported(path, what + " is outside the supported JSON-schema subset (type object / array / string / "
                              "number / integer / boolean / null, properties, required, additionalProperties, "
                              "items, minItems, maxItems, minLength, maxLength, enum, const, anyOf; docs/server.md)");
}

MaybeApiError Count(const json& v, const std::string& path, int32_t* out) {
  return GetInt32(v, path, 0, "a non-negative integer", out);
}

ApiResult<std::shared_ptr<const JsonSchema>> Compile(const json& s, const std::string& path, int depth) {
  if (depth > kMaxDepth) return InvalidRequest(path, Quoted(path) + " nests deeper than " + std::to_string(kMaxDepth));
  if (s.is_boolean() && s.get<bool>()) return std::shared_ptr<const JsonSchema>(std::make_shared<JsonSchema>());
  if (!s.is_object()) return TypeError(path, "a JSON schema object", s);
  auto out = std::make_shared<JsonSchema>();
  if (auto any = s.find("anyOf"); any != s.end()) {
    // anyOf stands alone (beside annotations): its alternatives say the rest.
    for (const auto& [key, v] : s.items())
      if (key != "anyOf" && !IsAnnotation(key)) return Outside(path + "." + key, "\"" + key + "\" beside anyOf");
    const std::string at = path + ".anyOf";
    if (!any->is_array() || any->empty()) return TypeError(at, "a non-empty array of schemas", *any);
    if (any->size() > kMaxAnyOf)
      return Outside(at, std::to_string(any->size()) + " alternatives (at most " + std::to_string(kMaxAnyOf) + ")");
    out->kind = K::kAnyOf;
    for (size_t i = 0; i < any->size(); ++i) {
      auto c = Compile((*any)[i], at + "[" + std::to_string(i) + "]", depth + 1);
      if (!c.ok()) return c.error();
      out->any_of.push_back(*c);
    }
    return std::shared_ptr<const JsonSchema>(std::move(out));
  }
  // The type first: which keywords apply depends on it.
  std::string type;
  if (auto t = s.find("type"); t != s.end()) {
    if (t->is_array()) return Outside(path + ".type", "a list of types");
    if (auto e = GetString(*t, path + ".type", &type)) return *e;
    static const std::array<std::pair<std::string_view, K>, 7> kTypes = {{{"object", K::kObject},
                                                                          {"array", K::kArray},
                                                                          {"string", K::kString},
                                                                          {"number", K::kNumber},
                                                                          {"integer", K::kInteger},
                                                                          {"boolean", K::kBoolean},
                                                                          {"null", K::kNull}}};
    auto it = std::find_if(kTypes.begin(), kTypes.end(), [&](const auto& p) { return p.first == type; });
    if (it == kTypes.end()) return Outside(path + ".type", "type \"" + type + "\"");
    out->kind = it->second;
  }
  bool has_properties = false;
  std::vector<std::string> required;
  for (const auto& [key, v] : s.items()) {
    const std::string at = path + "." + key;
    if (key == "type" || IsAnnotation(key)) continue;
    const bool object = out->kind == K::kObject, array = out->kind == K::kArray, string = out->kind == K::kString;
    if (key == "properties" && object) {
      if (!v.is_object()) return TypeError(at, "an object", v);
      if (v.size() > kMaxProperties)
        return Outside(at, std::to_string(v.size()) + " properties (at most " + std::to_string(kMaxProperties) + ")");
      has_properties = true;
      for (const auto& [name, sub] : v.items()) {
        auto c = Compile(sub, at + "." + name, depth + 1);
        if (!c.ok()) return c.error();
        out->properties.push_back({name, *c, false});
      }
    } else if (key == "required" && object) {
      if (!v.is_array()) return TypeError(at, "an array of property names", v);
      for (size_t i = 0; i < v.size(); ++i) {
        std::string name;
        if (auto e = GetString(v[i], at + "[" + std::to_string(i) + "]", &name)) return *e;
        required.push_back(std::move(name));
      }
    } else if (key == "additionalProperties" && object) {
      if (!v.is_boolean()) return Outside(at, "additionalProperties other than true or false");
    } else if (key == "items" && array) {
      auto c = Compile(v, at, depth + 1);
      if (!c.ok()) return c.error();
      out->items = *c;
    } else if (key == "minItems" && array) {
      if (auto e = Count(v, at, &out->min_items)) return *e;
    } else if (key == "maxItems" && array) {
      if (auto e = Count(v, at, &out->max_items)) return *e;
    } else if (key == "minLength" && string) {
      if (auto e = Count(v, at, &out->min_length)) return *e;
    } else if (key == "maxLength" && string) {
      if (auto e = Count(v, at, &out->max_length)) return *e;
    } else if (key == "enum" || key == "const") {
      const json values = key == "const" ? json::array({v}) : v;
      if (!values.is_array() || values.empty()) return TypeError(at, "a non-empty array", v);
      if (values.size() > kMaxEnum)
        return Outside(at, std::to_string(values.size()) + " values (at most " + std::to_string(kMaxEnum) + ")");
      for (const json& x : values) {
        if (x.is_object() || x.is_array()) return Outside(at, "an object or array value in " + key);
        // The value's type must agree with "type", if given.
        const bool fits = out->kind == K::kAny || (out->kind == K::kString && x.is_string()) ||
                          (out->kind == K::kNumber && x.is_number()) ||
                          (out->kind == K::kInteger && x.is_number_integer()) ||
                          (out->kind == K::kBoolean && x.is_boolean()) || (out->kind == K::kNull && x.is_null());
        if (!fits) return InvalidRequest(at, Quoted(at) + " holds " + x.dump() + ", not of type \"" + type + "\"");
        out->literals.push_back(x.dump());
      }
    } else {
      return Outside(at, "the keyword \"" + key + "\"" + (type.empty() ? "" : " (for type \"" + type + "\")"));
    }
  }
  if (!out->literals.empty()) {
    out->kind = K::kEnum;
  } else if (out->kind == K::kObject) {
    for (const std::string& name : required) {
      auto it = std::find_if(out->properties.begin(), out->properties.end(),
                             [&](const JsonSchema::Property& p) { return p.name == name; });
      if (it == out->properties.end())
        return InvalidRequest(path + ".required",
                              Quoted(path + ".required") + " names \"" + name + "\", which is not in 'properties'");
      it->required = true;
    }
    out->free_keys = !has_properties;
    out->IndexKeys();
  }
  if (out->max_items >= 0 && out->max_items < out->min_items)
    return InvalidRequest(path + ".maxItems", Quoted(path + ".maxItems") + " is below minItems");
  if (out->max_length >= 0 && out->max_length < out->min_length)
    return InvalidRequest(path + ".maxLength", Quoted(path + ".maxLength") + " is below minLength");
  return std::shared_ptr<const JsonSchema>(std::move(out));
}

}  // namespace

ApiResult<std::shared_ptr<const JsonSchema>> CompileJsonSchema(const json& schema, const std::string& path) {
  return Compile(schema, path, 0);
}

ApiResult<ResponseFormat> ParseResponseFormat(const json& v) {
  if (!v.is_object()) return TypeError("response_format", "an object", v);
  auto t = v.find("type");
  if (t == v.end()) return InvalidRequest("response_format.type", "'response_format.type' is required");
  std::string type;
  if (auto e = GetString(*t, "response_format.type", &type)) return *e;
  ResponseFormat rf;
  if (type == "text") return rf;
  if (type == "json_object") {
    rf.schema = AnyObjectSchema();
    return rf;
  }
  if (type != "json_schema")
    return Unsupported("response_format.type", "'" + type + "'; 'text', 'json_object' and 'json_schema' are served");
  auto js = v.find("json_schema");
  if (js == v.end() || !js->is_object())
    return InvalidRequest("response_format.json_schema", "'response_format.json_schema' must be an object");
  for (const auto& [key, x] : js->items()) {
    if (key == "name" || key == "description") {
      if (!x.is_string()) return TypeError("response_format.json_schema." + key, "a string", x);
    } else if (key == "strict") {
      if (!x.is_boolean() && !x.is_null()) return TypeError("response_format.json_schema.strict", "a boolean", x);
    } else if (key != "schema") {
      return Unsupported("response_format.json_schema." + key, "an unknown member of 'json_schema'");
    }
  }
  auto schema = js->find("schema");
  if (schema == js->end()) {
    rf.schema = std::make_shared<JsonSchema>();  // no schema: any JSON value
    return rf;
  }
  auto c = CompileJsonSchema(*schema, "response_format.json_schema.schema");
  if (!c.ok()) return c.error();
  rf.schema = *c;
  return rf;
}

}  // namespace cacheopt
