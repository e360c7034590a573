// Streaming a chat reply that may hold tool calls (`stream: true` with
// `tools`): text is passed on as content as soon as it cannot be part of a
// call; a call is held back until it is complete and parses, then sent
// whole. The split is the one ParseToolReply makes of the finished text, so
// the streamed content and calls are the non-streamed message's (less the
// trimming of whitespace around calls, which a stream cannot take back).
//
// Per format, as vLLM's streaming tool parsers decide what to hold
// (vllm/entrypoints/openai/tool_parsers/hermes_tool_parser.py and
// llama_tool_parser.py, extract_tool_calls_streaming):
//   kHermes      text outside <tool_call>...</tool_call> streams as content,
//                except a tail that could be the start of "<tool_call>";
//                each block is sent as a call once its closing tag is seen
//                (or the reply ends);
//   kLlama3Json  the reply is one JSON call or content: held while it
//                could still be a call (it starts with '{' or
//                "<|python_tag|>"), content from its first other character;
//   forced       (tool_choice required / named): the whole reply is the
//                call, sent when the reply ends.
// Unlike vLLM, which diffs partial JSON to stream argument fragments, a
// call's arguments go out in one fragment, after the chunk naming it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "server/tool_calls.h"

namespace cacheopt {

class ToolCallStreamer {
 public:
  // Call ids are "call_" + id_base + "_" + index (ParseToolReply's).
  ToolCallStreamer(ToolFormat format, bool forced, std::shared_ptr<const std::vector<ToolFunction>> tools,
                   std::string id_base);

  // What may go out now: content, then calls (numbered from first_index).
  struct Out {
    std::string content;
    std::vector<ToolCall> calls;
    int32_t first_index = 0;
  };
  // The reply's next text.
  Out Push(std::string_view text);
  // The reply ended: everything still held.
  Out Finish();
  // Calls sent so far.
  int32_t calls() const { return calls_; }

 private:
  Out Advance(bool end);
  void AddCall(ToolCall call, Out* out);

  ToolFormat format_;
  bool forced_;
  std::shared_ptr<const std::vector<ToolFunction>> tools_;
  std::string id_base_;
  std::string text_;       // the reply so far
  size_t sent_ = 0;        // text_[0, sent_) is sent as content or calls
  bool plain_ = false;     // decided: the rest is content
  int32_t calls_ = 0;
};

}  // namespace cacheopt
