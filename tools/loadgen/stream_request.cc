#include "loadgen/stream_request.h"

#include <algorithm>
#include <cstdio>

#include "loadgen/stream_recorder.h"

namespace cacheopt::bench {

std::string TimeLimitError(double deadline_s) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "the time limit (%.0f s after the start) passed", deadline_s);
  return buf;
}

double SecondsSince(SteadyClock::time_point origin) {
  return std::chrono::duration<double>(SteadyClock::now() - origin).count();
}

RequestRecord SendStreamingRequest(const HttpTarget& target, const std::string& path, const std::string& body,
                                   SteadyClock::time_point origin, double deadline_s,
                                   int32_t hang_up_after_chunks) {
  const std::string where = "POST " + target.url.Url(path);
  // A request waiting for its first byte must not outlive the deadline.
  HttpTarget bounded = target;
  const double left = deadline_s - SecondsSince(origin);
  if (left < bounded.read_timeout_s) bounded.read_timeout_s = std::max(0.05, left);
  auto client = MakeClient(bounded);
  bool over_time = false;
  bool hung_up = false;
  httplib::Request req;
  req.method = "POST";
  req.path = target.url.Path(path);
  req.headers = CommonHeaders(target);
  req.headers.emplace("Accept", "text/event-stream");
  req.set_header("Content-Type", "application/json");
  req.body = body;

  constexpr size_t kMaxErrorBody = 4096;
  int status = 0;
  std::string error_body;
  const double send_s = SecondsSince(origin);
  StreamRecorder recorder(send_s);
  req.response_handler = [&status](const httplib::Response& res) {
    status = res.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    const double now = SecondsSince(origin);
    if (status != 200) {
      error_body.append(data, std::min(n, kMaxErrorBody - std::min(kMaxErrorBody, error_body.size())));
      return true;
    }
    if (now > deadline_s) {
      over_time = true;
      return false;  // hang up: the server aborts the request
    }
    const bool go_on = recorder.OnBytes(std::string_view(data, n), now);
    if (go_on && hang_up_after_chunks > 0 && recorder.text_chunks() >= hang_up_after_chunks) {
      hung_up = true;
      return false;
    }
    return go_on;
  };
  httplib::Result res = client->send(req);
  const double end = SecondsSince(origin);
  // A read timeout cut to the deadline fires at it, give or take the
  // poll's millisecond rounding.
  const bool cut_to_deadline = left < target.read_timeout_s;
  over_time = over_time || (!res && (end >= deadline_s || (cut_to_deadline && end >= deadline_s - 0.25)));
  if (over_time) {
    RequestRecord r;
    r.send_s = send_s;
    r.e2el_s = end - send_s;
    r.http_status = status;
    r.error = where + ": " + TimeLimitError(deadline_s);
    r.fault = "time-limit";
    return r;
  }

  if (hung_up) {
    RequestRecord r = recorder.Finish(end, "");
    r.http_status = 200;
    r.success = false;
    r.fault = "disconnect";
    r.error = where + ": the client hung up on purpose after " + std::to_string(r.text_chunks) + " text chunks";
    return r;
  }
  if (status == 200) {
    RequestRecord r = recorder.Finish(end, res ? "" : DescribeHttpError(res.error()));
    r.http_status = 200;
    if (!r.success) r.error = where + ": " + r.error;
    return r;
  }
  RequestRecord r;
  r.send_s = send_s;
  r.e2el_s = end - send_s;
  r.http_status = status;
  r.server_error = status != 0;
  if (status == 0) {
    r.error = where + ": " + DescribeHttpError(res.error());
  } else {
    if (error_body.empty() && res) error_body = res->body;
    r.error = where + ": " + DescribeHttpStatus(status, error_body);
  }
  return r;
}

}  // namespace cacheopt::bench
