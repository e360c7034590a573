#include "server/tool_calls.h"

#include <algorithm>
#include <string_view>

#include "server/json_field.h"
#include "server/response_format.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;

std::string Trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\n\r";
  const size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return std::string(s.substr(b, s.find_last_not_of(kSpace) - b + 1));
}

bool Known(const std::vector<ToolFunction>& tools, const std::string& name) {
  return std::any_of(tools.begin(), tools.end(), [&](const ToolFunction& t) { return t.name == name; });
}

// {"name": N, "parameters" | "arguments": {...}} naming a known tool.
std::optional<ToolCall> CallOf(const std::string& text, const std::vector<ToolFunction>& tools) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::exception&) {
    return std::nullopt;
  }
  if (!j.is_object()) return std::nullopt;
  auto name = j.find("name");
  if (name == j.end() || !name->is_string() || !Known(tools, name->get<std::string>())) return std::nullopt;
  auto args = j.find("arguments");
  if (args == j.end()) args = j.find("parameters");
  ToolCall c;
  c.name = name->get<std::string>();
  if (args == j.end()) {
    c.arguments = "{}";
  } else if (args->is_string()) {  // some models write the arguments as a JSON string
    c.arguments = args->get<std::string>();
  } else if (args->is_object()) {
    c.arguments = args->dump();
  } else {
    return std::nullopt;
  }
  return c;
}

}  // namespace

ApiResult<std::vector<ToolFunction>> ParseTools(const json& v) {
  if (!v.is_array()) return TypeError("tools", "an array of tools", v);
  std::vector<ToolFunction> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = "tools[" + std::to_string(i) + "]";
    const json& t = v[i];
    if (!t.is_object()) return TypeError(f, "an object", t);
    auto type = t.find("type");
    if (type == t.end()) return InvalidRequest(f + ".type", Quoted(f + ".type") + " is required");
    std::string ty;
    if (auto e = GetString(*type, f + ".type", &ty)) return *e;
    if (ty != "function") return Unsupported(f + ".type", "'" + ty + "'; only 'function' tools are served");
    auto fn = t.find("function");
    if (fn == t.end()) return InvalidRequest(f + ".function", Quoted(f + ".function") + " is required");
    if (!fn->is_object()) return TypeError(f + ".function", "an object", *fn);
    ToolFunction tf;
    for (const auto& [key, x] : fn->items()) {
      const std::string at = f + ".function." + key;
      if (x.is_null()) continue;
      if (key == "name") {
        if (auto e = GetString(x, at, &tf.name)) return *e;
      } else if (key == "description") {
        if (auto e = GetString(x, at, &tf.description)) return *e;
      } else if (key == "parameters") {
        if (!x.is_object()) return TypeError(at, "a JSON schema object", x);
        tf.parameters = x;
      } else if (key == "strict") {
        bool b = false;
        if (auto e = GetBool(x, at, &b)) return *e;
      } else {
        return Unsupported(at, "an unknown member of a function tool");
      }
    }
    const std::string nf = f + ".function.name";
    if (tf.name.empty()) return InvalidRequest(nf, Quoted(nf) + " is required and must not be empty");
    if (Known(out, tf.name)) return InvalidRequest(nf, Quoted(nf) + " repeats the tool name '" + tf.name + "'");
    out.push_back(std::move(tf));
  }
  return out;
}

ApiResult<ToolChoice> ParseToolChoice(const json& v) {
  ToolChoice c;
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "none") c.mode = ToolChoice::Mode::kNone;
    else if (s == "auto") c.mode = ToolChoice::Mode::kAuto;
    else if (s == "required") c.mode = ToolChoice::Mode::kRequired;
    else return InvalidRequest("tool_choice", "'tool_choice' is '" + s + "'; it must be 'none', 'auto', 'required' "
                                              "or {\"type\": \"function\", \"function\": {\"name\": ...}}");
    return c;
  }
  if (!v.is_object()) return TypeError("tool_choice", "a string or an object", v);
  auto type = v.find("type");
  std::string ty;
  if (type == v.end()) return InvalidRequest("tool_choice.type", "'tool_choice.type' is required");
  if (auto e = GetString(*type, "tool_choice.type", &ty)) return *e;
  if (ty != "function") return Unsupported("tool_choice.type", "'" + ty + "'; only 'function' is served");
  auto fn = v.find("function");
  if (fn == v.end() || !fn->is_object())
    return InvalidRequest("tool_choice.function", "'tool_choice.function' must be an object with a 'name'");
  auto name = fn->find("name");
  if (name == fn->end()) return InvalidRequest("tool_choice.function.name", "'tool_choice.function.name' is required");
  if (auto e = GetString(*name, "tool_choice.function.name", &c.name)) return *e;
  c.mode = ToolChoice::Mode::kNamed;
  return c;
}

ApiResult<std::vector<ToolCall>> ParseMessageToolCalls(const json& v, const std::string& field) {
  if (!v.is_array()) return TypeError(field, "an array of tool calls", v);
  std::vector<ToolCall> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    const json& c = v[i];
    if (!c.is_object()) return TypeError(f, "an object", c);
    ToolCall call;
    if (auto id = c.find("id"); id != c.end() && !id->is_null()) {
      if (auto e = GetString(*id, f + ".id", &call.id)) return *e;
    }
    if (auto t = c.find("type"); t != c.end() && !t->is_null()) {
      std::string ty;
      if (auto e = GetString(*t, f + ".type", &ty)) return *e;
      if (ty != "function") return Unsupported(f + ".type", "'" + ty + "'; only 'function' calls are served");
    }
    auto fn = c.find("function");
    if (fn == c.end() || !fn->is_object())
      return InvalidRequest(f + ".function", Quoted(f + ".function") + " must be an object");
    auto name = fn->find("name");
    if (name == fn->end()) return InvalidRequest(f + ".function.name", Quoted(f + ".function.name") + " is required");
    if (auto e = GetString(*name, f + ".function.name", &call.name)) return *e;
    auto args = fn->find("arguments");
    if (args == fn->end())
      return InvalidRequest(f + ".function.arguments", Quoted(f + ".function.arguments") + " is required");
    if (auto e = GetString(*args, f + ".function.arguments", &call.arguments)) return *e;
    // The templates write the arguments as JSON, so they must be JSON.
    json parsed = json::parse(call.arguments, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object())
      return InvalidRequest(f + ".function.arguments",
                            Quoted(f + ".function.arguments") + " must be a JSON object as a string");
    out.push_back(std::move(call));
  }
  return out;
}

ApiResult<std::shared_ptr<const JsonSchema>> ForcedCallSchema(ToolFormat format, const std::vector<ToolFunction>& tools,
                                                              const ToolChoice& choice) {
  std::vector<size_t> candidates;
  for (size_t i = 0; i < tools.size(); ++i)
    if (choice.mode != ToolChoice::Mode::kNamed || tools[i].name == choice.name) candidates.push_back(i);
  // One call object per candidate, {"name": <its name>, <args key>: <its
  // parameters>}; several candidates make an anyOf of them, so the
  // arguments follow the schema of the tool the name chose.
  auto any = std::make_shared<JsonSchema>();
  any->kind = JsonSchema::Kind::kAnyOf;
  for (size_t i : candidates) {
    auto name = std::make_shared<JsonSchema>();
    name->kind = JsonSchema::Kind::kEnum;
    name->literals.push_back(json(tools[i].name).dump());
    std::shared_ptr<const JsonSchema> args = AnyObjectSchema();
    if (!tools[i].parameters.is_null()) {
      auto c = CompileJsonSchema(tools[i].parameters, "tools[" + std::to_string(i) + "].function.parameters");
      if (!c.ok()) return c.error();
      args = *c;
    }
    auto call = std::make_shared<JsonSchema>();
    call->kind = JsonSchema::Kind::kObject;
    call->properties.push_back({"name", name, true});
    call->properties.push_back({format == ToolFormat::kLlama3Json ? "parameters" : "arguments", args, true});
    call->IndexKeys();
    any->any_of.push_back(std::move(call));
  }
  if (any->any_of.size() == 1) return any->any_of[0];
  return std::shared_ptr<const JsonSchema>(std::move(any));
}

ParsedReply ParseToolReply(ToolFormat format, const std::string& text, bool forced,
                           const std::vector<ToolFunction>& tools, const std::string& id_base) {
  ParsedReply out;
  auto add = [&](ToolCall c) {
    c.id = "call_" + id_base + "_" + std::to_string(out.calls.size());
    out.calls.push_back(std::move(c));
  };
  if (format == ToolFormat::kLlama3Json || forced) {
    // The whole reply is one call (llama.cpp also strips a leading
    // <|python_tag|>, which Llama 3.1 writes before built-in tool calls).
    std::string body = Trim(text);
    constexpr std::string_view kPythonTag = "<|python_tag|>";
    if (body.compare(0, kPythonTag.size(), kPythonTag) == 0) body = Trim(body.substr(kPythonTag.size()));
    if (forced && format == ToolFormat::kHermes) {
      constexpr std::string_view kClose = "</tool_call>";
      if (auto p = body.rfind(kClose); p != std::string::npos && p + kClose.size() == body.size())
        body = Trim(body.substr(0, p));
    }
    if (auto c = CallOf(body, tools)) {
      add(std::move(*c));
      return out;
    }
    out.content = text;
    return out;
  }
  // Hermes: every <tool_call>...</tool_call> block; the rest is content.
  constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";
  std::string rest;
  size_t from = 0;
  while (true) {
    const size_t open = text.find(kOpen, from);
    if (open == std::string::npos) break;
    const size_t inner = open + kOpen.size();
    size_t close = text.find(kClose, inner);
    const size_t end = close == std::string::npos ? text.size() : close + kClose.size();
    auto c = CallOf(Trim(std::string_view(text).substr(inner, (close == std::string::npos ? text.size() : close) - inner)),
                    tools);
    if (!c) break;  // not a call: leave it and what follows as text
    rest += text.substr(from, open - from);
    add(std::move(*c));
    from = end;
  }
  rest += text.substr(from);
  if (out.calls.empty()) {
    out.content = text;
  } else if (std::string t = Trim(rest); !t.empty()) {
    out.content = t;
  }
  return out;
}

}  // namespace cacheopt
