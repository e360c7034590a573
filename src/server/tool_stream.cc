#include "server/tool_stream.h"

#include <algorithm>
#include <utility>

namespace cacheopt {
namespace {

constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>", kPythonTag = "<|python_tag|>";

// The length of the longest tail of `s` that is a proper prefix of `tag`.
size_t PartialTagTail(std::string_view s, std::string_view tag) {
  for (size_t n = std::min(s.size(), tag.size() - 1); n > 0; --n)
    if (s.substr(s.size() - n) == tag.substr(0, n)) return n;
  return 0;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

}  // namespace

ToolCallStreamer::ToolCallStreamer(ToolFormat format, bool forced,
                                   std::shared_ptr<const std::vector<ToolFunction>> tools, std::string id_base)
    : format_(format), forced_(forced), tools_(std::move(tools)), id_base_(std::move(id_base)) {}

ToolCallStreamer::Out ToolCallStreamer::Push(std::string_view text) {
  text_.append(text);
  return Advance(false);
}

ToolCallStreamer::Out ToolCallStreamer::Finish() { return Advance(true); }

void ToolCallStreamer::AddCall(ToolCall call, Out* out) {
  if (out->calls.empty()) out->first_index = calls_;
  call.id = "call_" + id_base_ + "_" + std::to_string(calls_++);
  out->calls.push_back(std::move(call));
}

ToolCallStreamer::Out ToolCallStreamer::Advance(bool end) {
  Out out;
  if (plain_) {
    out.content = text_.substr(sent_);
    sent_ = text_.size();
    return out;
  }
  if (forced_ || format_ == ToolFormat::kLlama3Json) {
    if (!forced_) {
      // Could the reply still be one JSON call? Only while its first
      // non-blank character is '{' or it is (a prefix of) the python tag.
      const auto first = std::find_if_not(text_.begin(), text_.end(), IsSpace);
      const std::string_view body(text_.data() + (first - text_.begin()), text_.end() - first);
      const bool maybe = body.empty() || body.front() == '{' ||
                         kPythonTag.substr(0, std::min(body.size(), kPythonTag.size())) ==
                             body.substr(0, std::min(body.size(), kPythonTag.size()));
      if (!maybe) {
        plain_ = true;
        return Advance(end);
      }
    }
    if (!end) return out;
    ParsedReply r = ParseToolReply(format_, text_, forced_, *tools_, id_base_);
    if (r.calls.empty()) {
      out.content = text_.substr(sent_);
    } else {
      for (ToolCall& c : r.calls) AddCall(std::move(c), &out);
    }
    sent_ = text_.size();
    return out;
  }
  // Hermes: the same walk as ParseToolReply's, as far as the text allows.
  for (;;) {
    const size_t open = text_.find(kOpen, sent_);
    if (open == std::string::npos) {
      const size_t hold = end ? 0 : PartialTagTail(std::string_view(text_).substr(sent_), kOpen);
      out.content += text_.substr(sent_, text_.size() - sent_ - hold);
      sent_ = text_.size() - hold;
      return out;
    }
    out.content += text_.substr(sent_, open - sent_);
    sent_ = open;
    const size_t close = text_.find(kClose, open + kOpen.size());
    if (close == std::string::npos && !end) return out;  // a call still being written
    const size_t stop = close == std::string::npos ? text_.size() : close + kClose.size();
    ParsedReply r = ParseToolReply(ToolFormat::kHermes, text_.substr(open, stop - open), false, *tools_, id_base_);
    if (r.calls.empty()) {
      // Not a call: it and all that follows are text (ParseToolReply stops).
      plain_ = true;
      out.content += text_.substr(sent_);
      sent_ = text_.size();
      return out;
    }
    AddCall(std::move(r.calls[0]), &out);
    sent_ = stop;
  }
}

}  // namespace cacheopt
