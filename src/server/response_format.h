// response_format: {"type": "text" | "json_object" | "json_schema"} into the
// schema the constrained decoder follows (exec/cpu/json_grammar.h).
//
// The json_schema subset: "type" one of object, array, string, number,
// integer, boolean, null; object "properties" (at most 64), "required",
// "additionalProperties" (true or false: extra keys are never written, so
// the output matches either way); array "items", "minItems", "maxItems";
// string "minLength", "maxLength"; "enum" (at most 64 scalar values) and
// "const". Annotations ("title", "description", "$schema", "$id",
// "default", "examples") are accepted and have no effect. Any other keyword
// (anyOf, $ref, pattern, format, minimum, a list of types, ...) is a 400
// whose param names its path, e.g.
// response_format.json_schema.schema.properties.age.minimum.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "exec/cpu/json_grammar.h"
#include "server/api_error.h"

namespace cacheopt {

struct ResponseFormat {
  // Null for "text"; AnyObjectSchema() for "json_object".
  std::shared_ptr<const JsonSchema> schema;
};

ApiResult<ResponseFormat> ParseResponseFormat(const nlohmann::json& v);

// One schema object (exposed for tests); `path` names it in errors.
ApiResult<std::shared_ptr<const JsonSchema>> CompileJsonSchema(const nlohmann::json& schema, const std::string& path);

}  // namespace cacheopt
