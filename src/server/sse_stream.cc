#include "server/sse_stream.h"

#include <algorithm>

namespace cacheopt {

std::string SseEvent(std::string_view payload) {
  std::string s;
  s.reserve(payload.size() + 8);
  s.append("data: ").append(payload).append("\n\n");
  return s;
}

SseStream::SseStream(ResponseMeta meta, bool include_usage, int32_t choices)
    : meta_(std::move(meta)), include_usage_(include_usage), started_(static_cast<size_t>(std::max(choices, 1)), false) {}

std::string SseStream::Start() { return Delta(ChoiceOut{}); }

std::string SseStream::Delta(const ChoiceOut& choice) {
  std::string out;
  const auto i = static_cast<size_t>(choice.index);
  if (i < started_.size() && !started_[i]) {
    started_[i] = true;
    if (meta_.kind == ApiKind::kChat) {
      ChoiceOut role;
      role.index = choice.index;
      role.role_delta = true;
      out += SseEvent(RenderChunk(meta_, role, include_usage_));
    }
  }
  if (!choice.text.empty() || (choice.has_logprobs && !choice.logprobs.empty())) {
    ChoiceOut c = choice;
    c.role_delta = false;
    c.finish_reason.reset();
    out += SseEvent(RenderChunk(meta_, c, include_usage_));
  }
  return out;
}

std::string SseStream::Delta(std::string_view text) {
  ChoiceOut c;
  c.text = std::string(text);
  return Delta(c);
}

std::string SseStream::ToolCalls(int32_t index, int32_t first_index, const std::vector<ToolCall>& calls) {
  ChoiceOut c;
  c.index = index;
  std::string out = Delta(c);  // the opening chunk, if not yet sent
  for (size_t i = 0; i < calls.size(); ++i) {
    c.tool_call_base = first_index + static_cast<int32_t>(i);
    ToolCall head = calls[i];
    head.arguments.clear();
    c.tool_calls = {std::move(head)};
    out += SseEvent(RenderChunk(meta_, c, include_usage_));
    ToolCall args;
    args.arguments = calls[i].arguments;
    c.tool_calls = {std::move(args)};
    out += SseEvent(RenderChunk(meta_, c, include_usage_));
  }
  return out;
}

std::string SseStream::FinishChoice(int32_t index, std::string_view finish_reason) {
  ChoiceOut c;
  c.index = index;
  std::string out = Delta(c);  // the opening chunk, if not yet sent
  c.finish_reason = std::string(finish_reason);
  out += SseEvent(RenderChunk(meta_, c, include_usage_));
  return out;
}

std::string SseStream::End(const Usage& usage) {
  std::string out;
  if (include_usage_) out += SseEvent(RenderUsageChunk(meta_, usage));
  out += kSseDone;
  return out;
}

std::string SseStream::Finish(std::string_view finish_reason, const Usage& usage) {
  return FinishChoice(0, finish_reason) + End(usage);
}

std::string SseStream::Error(const ApiError& error) {
  return SseEvent(RenderError(error)) + std::string(kSseDone);
}

}  // namespace cacheopt
