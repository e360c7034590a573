#include "server/http_routes.h"

#include <algorithm>
#include <ctime>
#include <random>

#include "server/json_field.h"
#include "server/sse_stream.h"
#include "server/tool_stream.h"
#include "server/tokenize_api.h"

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

// One choice of a response as the HTTP thread assembles it: its sink, the
// text and log-probabilities so far, how it ended.
struct ChoiceTrack {
  std::shared_ptr<RequestSink> sink;
  int32_t index = 0;
  int32_t prev_token = -1;  // the token before the next one (DecodePiece)
  int32_t offset = 0;       // text so far (text_offset of the next token)
  bool done = false;
  RequestSink::Update last;  // the end: finish reason, usage, error
  // Streamed chat with tools: splits the reply into content and calls.
  std::unique_ptr<ToolCallStreamer> tool_stream;
};

// One streamed response: what the content provider carries between calls.
struct HttpRoutes::Stream {
  Stream(std::vector<ChoiceTrack> c, SseStream e, RequestQueue* q, std::shared_ptr<std::atomic<int64_t>> active,
         const Tokenizer* t, int32_t n)
      : choices(std::move(c)), sse(std::move(e)), queue(q), token(std::move(active)), tokenizer(t), per_prompt(n) {}
  std::vector<ChoiceTrack> choices;
  SseStream sse;
  RequestQueue* queue;
  ActiveToken token;
  const Tokenizer* tokenizer;
  int32_t per_prompt;
  bool logprobs = false;
  std::shared_ptr<SinkGroupWaker> waker;  // several choices
  std::string pending;  // SSE text not yet written
  bool finished = false;
  void AbortAll() {
    for (ChoiceTrack& c : choices) queue->Abort(c.sink);
  }
  // Appends the chunks of choice `c`'s news `up` (not an error) to pending.
  void Take(ChoiceTrack& c, RequestSink::Update up);
};

namespace {

// The sink's log-probabilities as the response shows them; advances the
// choice's previous token and text offset.
std::vector<TokenLogprob> ToLogprobs(const RequestSink::Update& up, const Tokenizer* tok, ChoiceTrack* c) {
  std::vector<TokenLogprob> out;
  out.reserve(up.logprobs.size());
  for (size_t i = 0; i < up.logprobs.size(); ++i) {
    const SampledToken& d = up.logprobs[i];
    TokenLogprob t;
    t.token = i < up.pieces.size() ? up.pieces[i] : std::string();
    t.logprob = d.logprob;
    for (const auto& [id, lp] : d.top_logprobs) t.top.push_back({tok->DecodePiece(c->prev_token, id), lp});
    c->prev_token = d.token;
    out.push_back(std::move(t));
  }
  return out;
}

// OpenAI's usage for several choices: each prompt once, every choice's
// completion; cached: per prompt, the most any of its choices found.
Usage SumUsage(const std::vector<ChoiceTrack>& choices, int32_t per_prompt) {
  Usage u;
  for (size_t i = 0; i < choices.size(); i += static_cast<size_t>(per_prompt)) {
    u.prompt_tokens += choices[i].last.usage.prompt_tokens;
    int32_t cached = 0;
    for (size_t k = i; k < i + static_cast<size_t>(per_prompt) && k < choices.size(); ++k)
      cached = std::max(cached, choices[k].last.usage.cached_tokens);
    u.cached_tokens += cached;
  }
  for (const ChoiceTrack& c : choices) u.completion_tokens += c.last.usage.completion_tokens;
  return u;
}

}  // namespace

void HttpRoutes::Stream::Take(ChoiceTrack& c, RequestSink::Update up) {
  ChoiceOut delta;
  delta.index = c.index;
  delta.text = std::move(up.text);
  delta.has_logprobs = logprobs;
  delta.text_offset = c.offset;
  if (logprobs) delta.logprobs = ToLogprobs(up, tokenizer, &c);
  c.offset += static_cast<int32_t>(delta.text.size());
  ToolCallStreamer::Out calls;
  if (c.tool_stream) {
    calls = c.tool_stream->Push(delta.text);
    if (up.finished) {
      ToolCallStreamer::Out rest = c.tool_stream->Finish();
      if (calls.calls.empty()) calls.first_index = rest.first_index;
      calls.content += rest.content;
      for (ToolCall& t : rest.calls) calls.calls.push_back(std::move(t));
    }
    delta.text = std::move(calls.content);
  }
  pending += sse.Delta(delta);
  if (!calls.calls.empty()) pending += sse.ToolCalls(c.index, calls.first_index, calls.calls);
  if (up.finished) {
    c.done = true;
    c.last = std::move(up);
    // A reply that made calls and ended by itself ends in tool_calls.
    if (c.tool_stream && c.tool_stream->calls() > 0 && c.last.finish_reason == "stop")
      c.last.finish_reason = "tool_calls";
    pending += sse.FinishChoice(c.index, c.last.finish_reason);
  }
}

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
  http->Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) { Tokenize(req, res); });
  http->Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) { Detokenize(req, res); });
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
                  "GET /health, GET /metrics, POST /tokenize and POST /detokenize";
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

ApiResult<std::vector<int32_t>> HttpRoutes::PromptTokens(const CompletionRequest& req, ApiKind kind,
                                                         size_t index) const {
  // Tokens: a chat's template segments, a text prompt after BOS (as
  // `cacheopt generate` and llama2.c's run.c), or the ids as sent.
  std::vector<int32_t> prompt;
  if (kind == ApiKind::kChat) {
    // Tools are written only when a call may follow (not for tool_choice
    // "none"); a forced Hermes call starts inside its <tool_call> tag.
    const bool tools = req.ToolsActive();
    const bool forced = tools && req.tool_choice.mode != ToolChoice::Mode::kAuto;
    auto chat = ApplyChatTemplate(model_.chat_template, req.messages, tools ? req.tools : std::vector<ToolFunction>{},
                                  forced);
    if (!chat.ok()) return chat.error();
    for (const PromptSegment& seg : chat->segments) {
      std::vector<int32_t> ids = model_.tokenizer->Encode(seg.text, seg.bos, seg.eos, seg.parse_special);
      prompt.insert(prompt.end(), ids.begin(), ids.end());
    }
  } else if (index < req.prompts.size() && req.prompts[index].is_tokens) {
    prompt = req.prompts[index].token_ids;
  } else if (index < req.prompts.size()) {
    prompt = model_.tokenizer->Encode(req.prompts[index].text, true, false);
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
                                     uint64_t n, uint64_t choice) const {
  SubmitCommand cmd;
  cmd.prompt = std::move(prompt);
  cmd.params.temperature = static_cast<float>(req.temperature);
  cmd.params.top_p = static_cast<float>(req.top_p);
  cmd.params.top_k = req.top_k;
  // Choice k of a request draws from seed + k: a request's choices differ,
  // and choice 0 draws exactly as a one-choice request with that seed.
  cmd.params.seed = (req.seed ? *req.seed : Mix(seed_base_ + n)) + choice;
  cmd.params.presence_penalty = static_cast<float>(req.presence_penalty);
  cmd.params.frequency_penalty = static_cast<float>(req.frequency_penalty);
  cmd.params.repetition_penalty = static_cast<float>(req.repetition_penalty);
  cmd.params.logit_bias = req.logit_bias;
  cmd.params.logprobs = req.logprobs;
  cmd.params.json_schema = req.json_schema;
  cmd.params.eos_after = req.eos_after;
  cmd.params.ignore_eos = req.ignore_eos;
  cmd.params.min_tokens = req.min_tokens;
  cmd.params.stop_ids = model_.stop_ids;
  for (int32_t id : req.stop_token_ids) {
    if (std::find(cmd.params.stop_ids.begin(), cmd.params.stop_ids.end(), id) == cmd.params.stop_ids.end())
      cmd.params.stop_ids.push_back(id);
  }
  cmd.max_tokens = max_tokens;
  cmd.slo = SloSpec{req.slo_class, req.ttft_slo_ms, req.tbt_slo_ms, req.slo_class_given};
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
          const bool single = st->choices.size() == 1;
          const uint64_t seen = st->waker ? st->waker->seen() : 0;
          const auto timeout = st->pending.empty() && single ? poll : std::chrono::milliseconds(0);
          bool news = false;
          for (ChoiceTrack& c : st->choices) {
            if (c.done || st->finished) continue;
            RequestSink::Update up;
            if (!c.sink->Wait(timeout, &up)) continue;
            news = true;
            if (up.finished && up.error) {
              st->pending += st->sse.Error(*up.error);
              st->finished = true;
              st->AbortAll();  // the other choices stop too
              break;
            }
            st->Take(c, std::move(up));
          }
          if (!st->finished && std::all_of(st->choices.begin(), st->choices.end(), [](const ChoiceTrack& c) { return c.done; })) {
            st->pending += st->sse.End(SumUsage(st->choices, st->per_prompt));
            st->finished = true;
          }
          if (!news && !single && st->pending.empty() && !st->finished) st->waker->WaitPast(seen, poll);
        }
        // A closed connection is seen before writing into it, and a write
        // that fails says the same: either way the request is cancelled.
        if (PeerClosed(conn)) {
          st->AbortAll();
          return false;
        }
        if (!st->pending.empty()) {
          if (!out.write(st->pending.data(), st->pending.size())) {
            st->AbortAll();
            return false;
          }
          st->pending.clear();
        }
        if (st->finished) out.done();
        return true;
      },
      [st](bool success) {
        if (!success || !st->finished) st->AbortAll();
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
  auto parsed = ParseCompletionRequest(hreq.body, kind, served_names_, opts_.limits);
  if (!parsed.ok()) return Reject(res, parsed.error(), ReasonFor(parsed.error()));
  CompletionRequest& req = parsed.value();
  // tool_choice required / named: the reply is decoded under the call's
  // schema, so it always parses.
  if (kind == ApiKind::kChat && req.ToolsActive()) {
    const auto format = ToolFormatOf(model_.chat_template);
    if (!format)
      return Reject(res,
                    Unsupported("tools", "the chat template '" + std::string(ToString(model_.chat_template)) +
                                             "' has no tool-call format; tools are served for llama-3 and chatml"),
                    RejectReason::kInvalidRequest);
    if (req.tool_choice.mode != ToolChoice::Mode::kAuto) {
      auto schema = ForcedCallSchema(*format, req.tools, req.tool_choice);
      if (!schema.ok()) return Reject(res, schema.error(), RejectReason::kInvalidRequest);
      req.json_schema = *schema;
    }
  }

  // One prompt (chat, a single completion prompt) or a list; n choices each.
  if (auto e = CheckTokenIds(req, model_.vocab_size)) return Reject(res, *e, RejectReason::kInvalidRequest);
  const size_t num_prompts = kind == ApiKind::kChat ? 1 : std::max<size_t>(req.prompts.size(), 1);
  const int64_t num_choices = static_cast<int64_t>(num_prompts) * req.n;
  if (num_choices > opts_.max_choices) {
    return Reject(res,
                  InvalidRequest("n", "The request asks for " + std::to_string(num_choices) + " choices (" +
                                          std::to_string(num_prompts) + " prompts x n " + std::to_string(req.n) +
                                          "); one request's choices enter the engine together, at most " +
                                          std::to_string(opts_.max_choices) + " (--max-concurrency)"),
                  RejectReason::kInvalidRequest);
  }
  const uint64_t n = next_request_.fetch_add(1, std::memory_order_relaxed);
  std::vector<SubmitCommand> group;
  std::vector<std::string> echoes;  // per prompt
  std::vector<int32_t> last_prompt_token;
  for (size_t p = 0; p < num_prompts; ++p) {
    auto prompt = PromptTokens(req, kind, p);
    if (!prompt.ok()) return Reject(res, prompt.error(), RejectReason::kInvalidRequest);
    const int32_t prompt_len = static_cast<int32_t>(prompt->size());
    auto max_tokens = ResolveMaxTokens(req, prompt_len, model_.context);
    if (!max_tokens.ok()) return Reject(res, max_tokens.error(), RejectReason::kContextLength);
    if (auto e = CheckKvCapacity(prompt_len, kind)) return Reject(res, *e, RejectReason::kKvCapacity);
    if (req.echo) {
      const PromptInput* in = p < req.prompts.size() ? &req.prompts[p] : nullptr;
      echoes.push_back(in != nullptr && !in->is_tokens ? in->text : model_.tokenizer->Decode(*prompt));
    }
    last_prompt_token.push_back(prompt->back());
    for (int32_t k = 0; k < req.n; ++k) {
      const uint64_t choice = p * static_cast<uint64_t>(req.n) + static_cast<uint64_t>(k);
      SubmitCommand cmd = MakeSubmit(req, *prompt, *max_tokens, n, choice);
      cmd.arrival = arrival;
      cmd.shares_prompt_of = k;  // choice 0 of this prompt computes it
      group.push_back(std::move(cmd));
    }
  }
  std::vector<ChoiceTrack> choices;
  std::shared_ptr<SinkGroupWaker> waker;
  if (group.size() > 1) waker = std::make_shared<SinkGroupWaker>();
  for (size_t i = 0; i < group.size(); ++i) {
    group[i].sink->waker = waker;
    ChoiceTrack c;
    c.sink = group[i].sink;
    c.index = static_cast<int32_t>(i);
    c.prev_token = last_prompt_token[i / static_cast<size_t>(req.n)];
    if (req.echo) c.offset = static_cast<int32_t>(echoes[i / static_cast<size_t>(req.n)].size());
    choices.push_back(std::move(c));
  }
  auto token = std::make_unique<ActiveToken>(active_);  // before the push: a drain sees it
  switch (queue_->PushGroup(std::move(group))) {
    case RequestQueue::PushResult::kOk:
      metrics_->OnAccepted();
      break;
    case RequestQueue::PushResult::kFull:
      return Reject(res, QueueFull(queue_->capacity(), opts_.retry_after_s), RejectReason::kQueueFull);
    case RequestQueue::PushResult::kClosed:
      return SendError(res, Unavailable("The server is shutting down"));
  }
  const auto abort_all = [&] {
    for (ChoiceTrack& c : choices) queue_->Abort(c.sink);
  };

  const ResponseMeta meta{kind, MakeResponseId(kind, n), static_cast<int64_t>(std::time(nullptr)), req.model};
  const int fd = CurrentConnectionSocket();

  if (!req.stream) {
    // Each choice to its end, watching the client meanwhile.
    std::vector<ChoiceOut> outs;
    for (ChoiceTrack& c : choices) {
      ChoiceOut o;
      o.index = c.index;
      o.has_logprobs = req.logprobs >= 0;
      if (req.echo) o.text = echoes[static_cast<size_t>(c.index / req.n)];
      o.text_offset = static_cast<int32_t>(o.text.size());
      for (;;) {
        RequestSink::Update got;
        const bool news = c.sink->Wait(opts_.poll, &got, /*until_end=*/!o.has_logprobs);
        if (PeerClosed(fd)) {
          abort_all();
          res.status = 499;  // nginx's "client closed request": nobody reads it
          return;
        }
        if (!news) continue;
        o.text += got.text;
        if (o.has_logprobs) {
          std::vector<TokenLogprob> lps = ToLogprobs(got, model_.tokenizer, &c);
          o.logprobs.insert(o.logprobs.end(), std::make_move_iterator(lps.begin()), std::make_move_iterator(lps.end()));
        }
        if (got.finished) {
          c.last = std::move(got);
          break;
        }
      }
      if (c.last.error) {
        abort_all();
        return SendError(res, *c.last.error);
      }
      o.finish_reason = c.last.finish_reason;
      if (kind == ApiKind::kChat && req.ToolsActive()) {
        ParsedReply reply = ParseToolReply(*ToolFormatOf(model_.chat_template), o.text,
                                           req.tool_choice.mode != ToolChoice::Mode::kAuto, req.tools,
                                           meta.id.substr(meta.id.find('-') + 1) + "_" + std::to_string(c.index));
        if (!reply.calls.empty()) {
          o.tool_calls = std::move(reply.calls);
          o.content_null = !reply.content.has_value();
          if (reply.content) o.text = *reply.content;
          if (o.finish_reason == "stop") o.finish_reason = "tool_calls";
        }
      }
      if (o.has_logprobs) {
        // A stop string cut the text: the tokens that start past the cut go too.
        size_t total = static_cast<size_t>(o.text_offset);
        for (const TokenLogprob& t : o.logprobs) total += t.token.size();
        if (total > o.text.size()) {
          size_t at = static_cast<size_t>(o.text_offset), keep = 0;
          while (keep < o.logprobs.size() && at < o.text.size()) at += o.logprobs[keep++].token.size();
          o.logprobs.resize(keep);
        }
      }
      outs.push_back(std::move(o));
    }
    res.set_content(RenderResponse(meta, outs, SumUsage(choices, req.n)), kJson);
    return;
  }

  // Streaming. Wait for the first news before sending the status line, so a
  // request that fails before its first token still gets its error status.
  const int32_t per_prompt = req.n;
  auto st = std::make_shared<Stream>(std::move(choices), SseStream(meta, req.include_usage, static_cast<int32_t>(num_choices)),
                                     queue_, active_, model_.tokenizer, per_prompt);
  st->waker = waker;
  st->logprobs = req.logprobs >= 0;
  if (kind == ApiKind::kChat && req.ToolsActive()) {
    auto tools = std::make_shared<const std::vector<ToolFunction>>(req.tools);
    for (ChoiceTrack& c : st->choices)
      c.tool_stream = std::make_unique<ToolCallStreamer>(
          *ToolFormatOf(model_.chat_template), req.tool_choice.mode != ToolChoice::Mode::kAuto, tools,
          meta.id.substr(meta.id.find('-') + 1) + "_" + std::to_string(c.index));
  }
  for (;;) {
    const uint64_t seen = waker ? waker->seen() : 0;
    bool news = false;
    for (ChoiceTrack& c : st->choices) {
      RequestSink::Update got;
      // Peek: a sink with news is left for the stream to take; errors end here.
      if (c.sink->Wait(waker ? std::chrono::milliseconds(0) : opts_.poll, &got)) {
        news = true;
        if (got.finished && got.error) {
          for (ChoiceTrack& o : st->choices) queue_->Abort(o.sink);
          return SendError(res, *got.error);
        }
        // Hand what was taken to the stream's first write.
        st->Take(c, std::move(got));
      }
    }
    if (PeerClosed(fd)) {
      st->AbortAll();
      res.status = 499;
      return;
    }
    if (news) break;
    if (waker) waker->WaitPast(seen, opts_.poll);
  }
  if (req.echo) {
    // The echoed prompts lead each choice's text (as vLLM streams them).
    std::string head;
    for (ChoiceTrack& c : st->choices) {
      ChoiceOut e;
      e.index = c.index;
      e.text = echoes[static_cast<size_t>(c.index / req.n)];
      head += st->sse.Delta(e);
    }
    st->pending = head + st->pending;
  }
  if (std::all_of(st->choices.begin(), st->choices.end(), [](const ChoiceTrack& c) { return c.done; })) {
    st->pending += st->sse.End(SumUsage(st->choices, per_prompt));
    st->finished = true;
  }
  token.reset();  // the stream's own token counts from here
  StreamTo(res, std::move(st), opts_.poll);
}

void HttpRoutes::Models(httplib::Response& res) const {
  if (!serving_.load(std::memory_order_acquire)) return SendError(res, Unavailable("The model is still loading"));
  const ModelCard card{model_.name, model_.created, model_.context};
  res.set_content(RenderModelList(std::span<const ModelCard>(&card, 1)), kJson);
}

// Tokenizing reads only the immutable tokenizer: no engine, no queue.
void HttpRoutes::Tokenize(const httplib::Request& hreq, httplib::Response& res) const {
  if (!Authorized(hreq)) return Reject(res, Unauthorized(), RejectReason::kUnauthorized);
  if (!serving_.load(std::memory_order_acquire)) return SendError(res, Unavailable("The model is still loading"));
  auto req = ParseTokenizeRequest(hreq.body, served_names_);
  if (!req.ok()) return Reject(res, req.error(), ReasonFor(req.error()));
  CompletionRequest as;
  as.kind = req->chat ? ApiKind::kChat : ApiKind::kCompletion;
  std::vector<int32_t> tokens;
  if (req->chat) {
    as.messages = std::move(req->messages);
    auto t = PromptTokens(as, ApiKind::kChat);
    if (!t.ok()) return Reject(res, t.error(), RejectReason::kInvalidRequest);
    if (req->add_special_tokens) tokens.push_back(model_.tokenizer->bos_id());
    tokens.insert(tokens.end(), t->begin(), t->end());
  } else {
    tokens = model_.tokenizer->Encode(req->prompt, req->add_special_tokens, false);
  }
  std::vector<std::string> strs;
  if (req->return_token_strs) {
    const auto& pieces = model_.tokenizer->vocab().pieces;
    for (int32_t id : tokens) strs.push_back(id >= 0 && static_cast<size_t>(id) < pieces.size() ? pieces[id] : "");
  }
  res.set_content(RenderTokenizeResponse(tokens, model_.context, req->return_token_strs ? &strs : nullptr), kJson);
}

void HttpRoutes::Detokenize(const httplib::Request& hreq, httplib::Response& res) const {
  if (!Authorized(hreq)) return Reject(res, Unauthorized(), RejectReason::kUnauthorized);
  if (!serving_.load(std::memory_order_acquire)) return SendError(res, Unavailable("The model is still loading"));
  auto ids = ParseDetokenizeRequest(hreq.body, served_names_, model_.vocab_size);
  if (!ids.ok()) return Reject(res, ids.error(), ReasonFor(ids.error()));
  res.set_content(RenderDetokenizeResponse(model_.tokenizer->Decode(*ids)), kJson);
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
