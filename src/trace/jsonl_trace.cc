#include "trace/jsonl_trace.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "trace/field_parse.h"
#include "trace/trace_builder.h"

namespace cacheopt {
namespace {

using nlohmann::json;

// A value quoted for a message. nlohmann's dump() recurses once per level, so
// a line of ~10^5 '[' overflowed the stack (found with fuzz/trace_fuzz.cc);
// deeply nested values are described instead of dumped.
std::string QuoteJson(const json& v) {
  constexpr int kMaxDumpDepth = 32;
  std::vector<std::pair<const json*, int>> todo = {{&v, 0}};  // iterative: no recursion here either
  while (!todo.empty()) {
    const auto [value, depth] = todo.back();
    todo.pop_back();
    if (!value->is_structured()) continue;
    if (depth >= kMaxDumpDepth) return "a value nested over " + std::to_string(kMaxDumpDepth) + " levels deep";
    for (const json& child : *value) todo.emplace_back(&child, depth + 1);
  }
  return Quote(v.dump());
}

// The value at `key`, or nullptr when absent or null.
const json* Find(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

Status GetCount(const RowContext& ctx, const json& obj, const char* key, bool required,
                int32_t* out) {
  const json* v = Find(obj, key);
  if (!v) return required ? ctx.FieldError(key, "missing") : Status::Ok();
  if (v->is_number_unsigned()) {
    const auto u = v->get<uint64_t>();
    if (u > INT32_MAX) return ctx.FieldError(key, "out of range: " + v->dump());
    return CheckCount(ctx, key, static_cast<int64_t>(u), out);
  }
  if (!v->is_number_integer()) return ctx.FieldError(key, "not an integer: " + QuoteJson(*v));
  return CheckCount(ctx, key, v->get<int64_t>(), out);
}

// Mooncake's release (kvcache-ai/Mooncake FAST25-release/traces):
// `timestamp` in ms, `input_length`, `output_length`, `hash_ids`.
Status ParseMooncakeRow(const RowContext& ctx, const json& obj, TraceRow* row,
                        std::optional<double>* arrival) {
  Status st = GetCount(ctx, obj, "input_length", true, &row->prompt_tokens);
  if (st.ok()) st = GetCount(ctx, obj, "output_length", true, &row->output_tokens);
  if (!st.ok()) return st;
  if (const json* v = Find(obj, "timestamp")) {
    if (!v->is_number()) return ctx.FieldError("timestamp", "not a number (milliseconds): " + QuoteJson(*v));
    double s = 0;
    st = CheckSeconds(ctx, "timestamp", v->get<double>() / 1000.0, &s);
    if (!st.ok()) return st;
    *arrival = s;
  }
  if (const json* v = Find(obj, "hash_ids")) {
    if (!v->is_array()) return ctx.FieldError("hash_ids", "not an array: " + QuoteJson(*v));
    const size_t want = (static_cast<size_t>(row->prompt_tokens) + kPrefixBlockTokens - 1) / kPrefixBlockTokens;
    if (v->size() != want)
      return ctx.FieldError("hash_ids", "has " + std::to_string(v->size()) + " ids, but input_length " +
                                            std::to_string(row->prompt_tokens) + " needs " + std::to_string(want) +
                                            " (one per " + std::to_string(kPrefixBlockTokens) + " tokens)");
    row->prefix_block_ids.reserve(want);
    for (const json& id : *v) {
      if (!id.is_number_integer() || (id.is_number_unsigned() && id.get<uint64_t>() > INT64_MAX))
        return ctx.FieldError("hash_ids", "not an integer id: " + QuoteJson(id));
      row->prefix_block_ids.push_back(id.get<int64_t>());
    }
  }
  return Status::Ok();
}

bool IsMooncakeRow(const json& obj) { return obj.contains("input_length") && !obj.contains("prompt_tokens"); }

Status ParseRow(const RowContext& ctx, const json& obj, TraceRow* row,
                std::optional<double>* arrival) {
  if (!obj.is_object()) return ctx.Error("expected a JSON object, got " + QuoteJson(obj));
  if (IsMooncakeRow(obj)) return ParseMooncakeRow(ctx, obj, row, arrival);
  Status st = GetCount(ctx, obj, "prompt_tokens", true, &row->prompt_tokens);
  if (st.ok()) st = GetCount(ctx, obj, "output_tokens", true, &row->output_tokens);
  if (st.ok()) st = GetCount(ctx, obj, "max_tokens", false, &row->max_tokens);
  if (!st.ok()) return st;
  if (const json* v = Find(obj, "arrival_s")) {
    if (!v->is_number()) return ctx.FieldError("arrival_s", "not a number: " + QuoteJson(*v));
    double s = 0;
    st = CheckSeconds(ctx, "arrival_s", v->get<double>(), &s);
    if (!st.ok()) return st;
    *arrival = s;
  }
  if (const json* v = Find(obj, "slo_class")) {
    if (!v->is_string()) return ctx.FieldError("slo_class", "not a string: " + QuoteJson(*v));
    st = CheckSloClass(ctx, "slo_class", v->get_ref<const std::string&>(), &row->slo_class);
    if (!st.ok()) return st;
  }
  // The prompt text is checked but not kept: TraceRow carries lengths only.
  if (const json* v = Find(obj, "prompt"); v && !v->is_string()) {
    return ctx.FieldError("prompt", "not a string");
  }
  return Status::Ok();
}

}  // namespace

Result<Trace> ParseJsonlTrace(std::string_view text, const std::string& source) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::optional<TraceBuilder> builder;  // made at the first row, which picks the dialect
  bool mooncake = false;
  bool any_text = false;
  int64_t line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view body = text.substr(pos, end - pos);
    if (!body.empty() && body.back() == '\r') body.remove_suffix(1);
    pos = end + 1;
    ++line;
    if (body.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    any_text = true;
    const RowContext ctx{source, line};
    // allow_exceptions = false: a parse failure comes back as a discarded value.
    const json obj = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (obj.is_discarded()) return ctx.Error("invalid JSON: " + Quote(body));
    if (!builder) {
      mooncake = obj.is_object() && IsMooncakeRow(obj);
      builder.emplace(source, mooncake ? "mooncake" : "jsonl", mooncake ? "timestamp" : "arrival_s");
    } else if (obj.is_object() && IsMooncakeRow(obj) != mooncake) {
      return ctx.Error(mooncake ? "expected Mooncake keys (input_length, output_length) as in the first row"
                                : "expected prompt_tokens and output_tokens as in the first row");
    }
    TraceRow row;
    std::optional<double> arrival;
    Status st = ParseRow(ctx, obj, &row, &arrival);
    if (st.ok()) st = builder->Add(ctx, arrival, std::move(row));
    if (!st.ok()) return st;
  }
  if (!any_text) return Status::InvalidArgument(source + ": empty file (expected JSON lines)");
  return std::move(*builder).Finish();
}

}  // namespace cacheopt
