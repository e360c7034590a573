#include "loadgen/stream_recorder.h"

#include "loadgen/stream_chunk.h"

namespace cacheopt::bench {

StreamRecorder::StreamRecorder(double send_s) : send_s_(send_s) { r_.send_s = send_s; }

bool StreamRecorder::OnBytes(std::string_view bytes, double now_s) {
  if (!error_.empty()) return false;
  if (head_.size() < 200) head_.append(bytes.substr(0, 200 - head_.size()));
  events_.clear();
  parser_.Feed(bytes, &events_);
  for (const SseEvent& ev : events_) {
    OnEvent(ev, now_s);
    if (!error_.empty()) return false;
  }
  return true;
}

void StreamRecorder::OnEvent(const SseEvent& ev, double now_s) {
  if (done_) return;  // nothing counts after [DONE]
  ++events_seen_;
  auto parsed = ParseStreamChunk(ev.data);
  if (!parsed.ok()) {
    error_ = parsed.status().message();
    return;
  }
  const StreamChunk& c = *parsed;
  if (c.done) {
    done_ = true;
    return;
  }
  if (c.error) {
    error_ = "the server reported an error mid-stream: " + *c.error;
    r_.server_error = true;
    return;
  }
  if (c.has_choices) {
    last_choice_s_ = now_s;
    if (!c.text.empty()) {
      if (r_.text_chunks == 0) {
        r_.ttft_s = now_s - send_s_;
      } else {
        r_.itls_s.push_back(now_s - last_text_s_);
      }
      last_text_s_ = now_s;
      ++r_.text_chunks;
    }
    if (c.finish_reason) r_.finish_reason = *c.finish_reason;
  }
  if (c.completion_tokens) {
    r_.output_tokens = static_cast<int32_t>(*c.completion_tokens);
    r_.usage_reported = true;
  }
  if (c.prompt_tokens) r_.prompt_tokens_reported = static_cast<int32_t>(*c.prompt_tokens);
}

RequestRecord StreamRecorder::Finish(double now_s, const std::string& transport_error) {
  if (error_.empty()) {
    events_.clear();
    parser_.Finish(&events_);
    for (const SseEvent& ev : events_) {
      OnEvent(ev, now_s);
      if (!error_.empty()) break;
    }
  }
  if (error_.empty() && events_seen_ == 0 && transport_error.empty()) {
    error_ = head_.empty()
                 ? "the answer was empty"
                 : "the answer held no server-sent events (does the server stream?): '" + Excerpt(head_) + "'";
  }
  if (error_.empty() && !done_ && r_.finish_reason.empty()) {
    error_ = transport_error.empty() ? "the stream ended before a finish_reason or [DONE]"
                                     : "the connection failed mid-stream (" + transport_error + ")";
  }
  if (error_.empty() && r_.text_chunks == 0) error_ = "the stream ended without any chunk carrying text";
  if (!r_.usage_reported) r_.output_tokens = r_.text_chunks;
  r_.e2el_s = last_choice_s_ >= 0 ? last_choice_s_ - send_s_ : now_s - send_s_;
  r_.error = error_;
  r_.success = error_.empty();
  return r_;
}

}  // namespace cacheopt::bench
