#include "server/sse_stream.h"

namespace cacheopt {

std::string SseEvent(std::string_view payload) {
  std::string s;
  s.reserve(payload.size() + 8);
  s.append("data: ").append(payload).append("\n\n");
  return s;
}

SseStream::SseStream(ResponseMeta meta, bool include_usage)
    : meta_(std::move(meta)), include_usage_(include_usage) {}

std::string SseStream::Start() {
  if (started_) return {};
  started_ = true;
  if (meta_.kind != ApiKind::kChat) return {};
  return SseEvent(RenderChunk(meta_, "", /*role_delta=*/true, std::nullopt, include_usage_));
}

std::string SseStream::Delta(std::string_view text) {
  std::string out = Start();
  if (!text.empty()) out += SseEvent(RenderChunk(meta_, text, false, std::nullopt, include_usage_));
  return out;
}

std::string SseStream::Finish(std::string_view finish_reason, const Usage& usage) {
  std::string out = Start();
  out += SseEvent(RenderChunk(meta_, "", false, finish_reason, include_usage_));
  if (include_usage_) out += SseEvent(RenderUsageChunk(meta_, usage));
  out += kSseDone;
  return out;
}

std::string SseStream::Error(const ApiError& error) {
  return SseEvent(RenderError(error)) + std::string(kSseDone);
}

}  // namespace cacheopt
