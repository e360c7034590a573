#include "server/http_routes.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "server/sse_stream.h"

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kJson = "application/json";

ApiError Unauthorized() {
  ApiError e;
  e.http_status = 401;
  e.param = "Authorization";
  e.code = "invalid_api_key";
  e.message = "Incorrect or missing API key: send the header 'Authorization: Bearer <key>'";
  return e;
}

ApiError QueueFull(size_t capacity, int retry_after_s) {
  ApiError e;
  e.http_status = 429;
  e.type = "rate_limit_error";
  e.code = "queue_full";
  e.message = "The server is at capacity: " + std::to_string(capacity) +
              " requests already wait for the engine; retry after " + std::to_string(retry_after_s) + " s";
  return e;
}

ApiError ServerError(std::string message) {
  ApiError e;
  e.http_status = 500;
  e.type = "server_error";
  e.message = std::move(message);
  return e;
}

// splitmix64's finalizer, for per-request seeds.
uint64_t Mix(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

RejectReason ReasonFor(const ApiError& e) {
  if (e.http_status == 404) return RejectReason::kModelNotFound;
  if (e.http_status == 413) return RejectReason::kBodyTooLarge;
  return RejectReason::kInvalidRequest;
}

// Keeps HttpRoutes::active() counting a request until its answer is done.
struct ActiveToken {
  explicit ActiveToken(std::shared_ptr<std::atomic<int64_t>> c) : count(std::move(c)) { count->fetch_add(1); }
  ~ActiveToken() { count->fetch_sub(1); }
  ActiveToken(const ActiveToken&) = delete;
  ActiveToken& operator=(const ActiveToken&) = delete;
  std::shared_ptr<std::atomic<int64_t>> count;
};

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer string is looked at, whatever matches.
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

// One streamed response: what the content provider carries between calls.
struct HttpRoutes::Stream {
  Stream(std::shared_ptr<RequestSink> s, SseStream e, RequestQueue* q, std::shared_ptr<std::atomic<int64_t>> active)
      : sink(std::move(s)), sse(std::move(e)), queue(q), token(std::move(active)) {}
  std::shared_ptr<RequestSink> sink;
  SseStream sse;
  RequestQueue* queue;
  ActiveToken token;
  std::string pending;  // SSE text not yet written
  bool finished = false;
};

HttpRoutes::HttpRoutes(HttpRoutesOptions opts) : opts_(std::move(opts)) {
  std::random_device rd;
  seed_base_ = (uint64_t{rd()} << 32) ^ rd();
}

void HttpRoutes::Register(HttpServer* http) {
  http_ = http;
  http->set_payload_max_length(opts_.max_body_bytes);
  // A client's (or router's) X-Request-Id comes back on its response, as
  // vLLM's server and the routers in front of it expect.
  http->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.has_header("X-Request-Id")) res.set_header("X-Request-Id", req.get_header_value("X-Request-Id"));
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http->Post("/v1/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, ApiKind::kCompletion);
  });
  http->Post("/v1/chat/completions", [this](const httplib::Request& req, httplib::Response& res) {
    Complete(req, res, ApiKind::kChat);
  });
  http->Get("/v1/models", [this](const httplib::Request& req, httplib::Response& res) {
    if (!Authorized(req)) return Reject(res, Unauthorized(), RejectReason::kUnauthorized);
    Models(res);
  });
  http->Get("/health", [this](const httplib::Request&, httplib::Response& res) { Health(res); });
  http->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) { Metrics(res); });
  // Errors cpp-httplib answers itself (no route, a body over the limit, a
  // malformed request) get an OpenAI-style body too.
  http->set_error_handler(httplib::Server::HandlerWithResponse([this](const httplib::Request& req,
                                                                        httplib::Response& res) {
    if (!res.body.empty() || res.content_provider_) return httplib::Server::HandlerResponse::Unhandled;
    ApiError e;
    e.http_status = res.status;
    if (res.status == 413) {
      const auto bytes = static_cast<size_t>(req.get_header_value<uint64_t>("Content-Length"));
      e = PayloadTooLarge(bytes, opts_.max_body_bytes);
      if (serving_.load(std::memory_order_acquire)) metrics_->OnRejected(RejectReason::kBodyTooLarge);
    } else if (res.status == 404) {
      e.code = "not_found";
      e.message = "No route " + req.method + " " + req.path +
                  "; the server answers POST /v1/completions, POST /v1/chat/completions, GET /v1/models, "
                  "GET /health and GET /metrics";
    } else {
      e.message = "HTTP error " + std::to_string(res.status) + " for " + req.method + " " + req.path;
    }
    res.set_content(RenderError(e), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      what = ex.what();
    } catch (...) {
    }
    res.status = 500;
    res.set_content(RenderError(ServerError("Internal error: " + what)), kJson);
  });
}

void HttpRoutes::StartServing(ServedModel model, RequestQueue* queue, ServingMetrics* metrics) {
  model_ = std::move(model);
  served_names_ = {model_.name};
  queue_ = queue;
  metrics_ = metrics;
  serving_.store(true, std::memory_order_release);
  ServerPhase loading = ServerPhase::kLoading;
  phase_.compare_exchange_strong(loading, ServerPhase::kReady, std::memory_order_release);
}

bool HttpRoutes::Authorized(const httplib::Request& req) const {
  if (opts_.api_key.empty()) return true;
  const std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kBearer = "Bearer ";
  if (h.size() < kBearer.size() || h.compare(0, kBearer.size(), kBearer) != 0) return false;
  return ConstantTimeEquals(std::string_view(h).substr(kBearer.size()), opts_.api_key);
}

void HttpRoutes::SendError(httplib::Response& res, const ApiError& e) const {
  res.status = e.http_status;
  if (e.http_status == 401) res.set_header("WWW-Authenticate", "Bearer");
  if (e.http_status == 429 || e.http_status == 503) res.set_header("Retry-After", std::to_string(opts_.retry_after_s));
  res.set_content(RenderError(e), kJson);
}

void HttpRoutes::Reject(httplib::Response& res, const ApiError& e, RejectReason why) const {
  if (serving_.load(std::memory_order_acquire)) metrics_->OnRejected(why);
  SendError(res, e);
}

ApiResult<std::vector<int32_t>> HttpRoutes::PromptTokens(const CompletionRequest& req, ApiKind kind) const {
  // Tokens: a chat's template segments, a text prompt after BOS (as
  // `cacheopt generate` and llama2.c's run.c), or the ids as sent.
  std::vector<int32_t> prompt;
  if (kind == ApiKind::kChat) {
    auto chat = ApplyChatTemplate(model_.chat_template, req.messages);
    if (!chat.ok()) return chat.error();
    for (const PromptSegment& seg : chat->segments) {
      std::vector<int32_t> ids = model_.tokenizer->Encode(seg.text, seg.bos, seg.eos, seg.parse_special);
      prompt.insert(prompt.end(), ids.begin(), ids.end());
    }
  } else if (req.prompt_is_tokens) {
    prompt = req.prompt_token_ids;
  } else {
    // Special-token strings are tokens, as llama.cpp's server tokenizes a
    // prompt (BPE vocabularies; SentencePiece ones parse none).
    prompt = model_.tokenizer->Encode(req.prompt, true, false, true);
  }
  return prompt;
}

std::optional<ApiError> HttpRoutes::CheckKvCapacity(int32_t prompt_len, ApiKind kind) const {
  const int64_t blocks = (int64_t{prompt_len} + 1 + model_.block_size - 1) / model_.block_size;
  if (blocks <= model_.device_blocks) return std::nullopt;
  const std::string where = kind == ApiKind::kChat ? "messages" : "prompt";
  ApiError e = InvalidRequest(where, "The " + where + " is " + std::to_string(prompt_len) +
                                         " tokens, more than the server's KV cache holds (" +
                                         std::to_string(model_.device_blocks) + " blocks of " +
                                         std::to_string(model_.block_size) + " tokens); shorten '" + where + "'");
  e.code = "kv_capacity";
  return e;
}

SubmitCommand HttpRoutes::MakeSubmit(const CompletionRequest& req, std::vector<int32_t> prompt, int32_t max_tokens,
                                     uint64_t n) const {
  SubmitCommand cmd;
  cmd.prompt = std::move(prompt);
  cmd.params.temperature = static_cast<float>(req.temperature);
  cmd.params.top_p = static_cast<float>(req.top_p);
  cmd.params.top_k = req.top_k;
  cmd.params.seed = req.seed ? *req.seed : Mix(seed_base_ + n);
  cmd.params.eos_after = req.eos_after;
  cmd.params.ignore_eos = req.ignore_eos;
  cmd.params.min_tokens = req.min_tokens;
  cmd.params.stop_ids = model_.stop_ids;
  for (int32_t id : req.stop_token_ids) {
    if (std::find(cmd.params.stop_ids.begin(), cmd.params.stop_ids.end(), id) == cmd.params.stop_ids.end())
      cmd.params.stop_ids.push_back(id);
  }
  cmd.max_tokens = max_tokens;
  cmd.slo = SloSpec{req.slo_class, req.ttft_slo_ms, req.tbt_slo_ms};
  cmd.stop = req.stop;
  cmd.sink = std::make_shared<RequestSink>();
  return cmd;
}

// Streams `st` as server-sent events: each call of the content provider
// takes what the engine sent since, writes it, and cancels the request when
// the client is gone.
void HttpRoutes::StreamTo(httplib::Response& res, std::shared_ptr<Stream> st, std::chrono::milliseconds poll) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Accel-Buffering", "no");
  res.set_chunked_content_provider(
      "text/event-stream",
      [st, poll](size_t /*offset*/, httplib::DataSink& out) {
        const int conn = CurrentConnectionSocket();
        if (!st->finished) {
          // With text in hand, take whatever else came without waiting.
          const auto timeout = st->pending.empty() ? poll : std::chrono::milliseconds(0);
          RequestSink::Update up;
          if (st->sink->Wait(timeout, &up)) {
            if (up.finished && up.error) {
              st->pending += st->sse.Delta(up.text) + st->sse.Error(*up.error);
            } else {
              st->pending += st->sse.Delta(up.text);
              if (up.finished) st->pending += st->sse.Finish(up.finish_reason, up.usage);
            }
            st->finished = up.finished;
          }
        }
        // A closed connection is seen before writing into it, and a write
        // that fails says the same: either way the request is cancelled.
        if (PeerClosed(conn)) {
          st->queue->Abort(st->sink);
          return false;
        }
        if (!st->pending.empty()) {
          if (!out.write(st->pending.data(), st->pending.size())) {
            st->queue->Abort(st->sink);
            return false;
          }
          st->pending.clear();
        }
        if (st->finished) out.done();
        return true;
      },
      [st](bool success) {
        if (!success || !st->finished) st->queue->Abort(st->sink);
      });
}

void HttpRoutes::Complete(const httplib::Request& hreq, httplib::Response& res, ApiKind kind) {
  const Clock::time_point arrival = Clock::now();
  if (!Authorized(hreq)) return Reject(res, Unauthorized(), RejectReason::kUnauthorized);
  const ServerPhase phase = this->phase();
  if (phase == ServerPhase::kLoading) return SendError(res, Unavailable("The model is still loading"));
  if (phase == ServerPhase::kDraining) return SendError(res, Unavailable("The server is shutting down"));
  if (auto e = CheckBodySize(hreq.body.size(), opts_.max_body_bytes)) {
    return Reject(res, *e, RejectReason::kBodyTooLarge);
  }
  auto parsed = ParseCompletionRequest(hreq.body, kind, served_names_);
  if (!parsed.ok()) return Reject(res, parsed.error(), ReasonFor(parsed.error()));
  CompletionRequest& req = parsed.value();

  auto prompt = PromptTokens(req, kind);
  if (!prompt.ok()) return Reject(res, prompt.error(), RejectReason::kInvalidRequest);
  if (auto e = CheckTokenIds(req, model_.vocab_size)) return Reject(res, *e, RejectReason::kInvalidRequest);
  const int32_t prompt_len = static_cast<int32_t>(prompt->size());
  auto max_tokens = ResolveMaxTokens(req, prompt_len, model_.context);
  if (!max_tokens.ok()) return Reject(res, max_tokens.error(), RejectReason::kContextLength);
  if (auto e = CheckKvCapacity(prompt_len, kind)) return Reject(res, *e, RejectReason::kKvCapacity);

  const uint64_t n = next_request_.fetch_add(1, std::memory_order_relaxed);
  SubmitCommand cmd = MakeSubmit(req, std::move(*prompt), *max_tokens, n);
  cmd.arrival = arrival;
  std::shared_ptr<RequestSink> sink = cmd.sink;
  auto token = std::make_unique<ActiveToken>(active_);  // before the push: a drain sees it
  switch (queue_->Push(std::move(cmd))) {
    case RequestQueue::PushResult::kOk:
      metrics_->OnAccepted();
      break;
    case RequestQueue::PushResult::kFull:
      return Reject(res, QueueFull(queue_->capacity(), opts_.retry_after_s), RejectReason::kQueueFull);
    case RequestQueue::PushResult::kClosed:
      return SendError(res, Unavailable("The server is shutting down"));
  }

  const ResponseMeta meta{kind, MakeResponseId(kind, n), static_cast<int64_t>(std::time(nullptr)), req.model};
  const int fd = CurrentConnectionSocket();
  // Waits for the engine's next news, watching the client meanwhile. False:
  // the client left (the request is cancelled).
  RequestSink::Update u;
  const auto wait = [&](bool until_end) {
    std::string text;
    for (;;) {
      RequestSink::Update got;
      const bool news = sink->Wait(opts_.poll, &got, until_end);
      if (PeerClosed(fd)) {
        queue_->Abort(sink);
        return false;
      }
      if (!news) continue;
      text += got.text;
      u = std::move(got);
      if (!until_end || u.finished) break;
    }
    u.text = std::move(text);
    return true;
  };

  if (!req.stream) {
    if (!wait(true)) {
      res.status = 499;  // nginx's "client closed request": nobody reads it
      return;
    }
    if (u.error) return SendError(res, *u.error);
    res.set_content(RenderResponse(meta, u.text, u.finish_reason, u.usage), kJson);
    return;
  }

  // Streaming. Wait for the first news before sending the status line, so a
  // request that fails before its first token still gets its error status.
  if (!wait(false)) {
    res.status = 499;
    return;
  }
  if (u.finished && u.error) return SendError(res, *u.error);
  auto st = std::make_shared<Stream>(sink, SseStream(meta, req.include_usage), queue_, active_);
  token.reset();  // the stream's own token counts from here
  st->pending = st->sse.Delta(u.text);
  if (u.finished) {
    st->pending += st->sse.Finish(u.finish_reason, u.usage);
    st->finished = true;
  }
  StreamTo(res, std::move(st), opts_.poll);
}

void HttpRoutes::Models(httplib::Response& res) const {
  if (!serving_.load(std::memory_order_acquire)) return SendError(res, Unavailable("The model is still loading"));
  const ModelCard card{model_.name, model_.created, model_.context};
  res.set_content(RenderModelList(std::span<const ModelCard>(&card, 1)), kJson);
}

void HttpRoutes::Health(httplib::Response& res) const {
  const ServerPhase phase = this->phase();
  if (phase == ServerPhase::kReady && (!healthy_ || healthy_())) {
    res.status = 200;
    return;
  }
  res.status = 503;
  const char* state = phase == ServerPhase::kLoading ? "loading" : phase == ServerPhase::kDraining ? "draining" : "unhealthy";
  res.set_content(std::string("{\"status\": \"") + state + "\"}", kJson);
}

void HttpRoutes::Metrics(httplib::Response& res) const {
  if (!serving_.load(std::memory_order_acquire)) return SendError(res, Unavailable("The model is still loading"));
  HttpSnapshot h;
  h.open_requests = active();
  if (http_ != nullptr) {
    h.open_connections = http_->open_connections();
    h.refused_connections = http_->refused_connections();
    h.refused_heads = http_->refused_heads();
  }
  metrics_->SetHttp(h);
  std::string body;
  metrics_->RenderTo(&body);
  res.set_content(body, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace cacheopt
