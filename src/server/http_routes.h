// The HTTP routes of the OpenAI-compatible server, on cpp-httplib:
//   POST /v1/completions, POST /v1/chat/completions (streamed or whole),
//   GET /v1/models, GET /health, GET /metrics, POST /tokenize and
//   POST /detokenize (vLLM's, tokenize_api.h).
// A completion handler parses and validates the body (openai_request.h),
// tokenizes it (chat: the template's segments), checks it against the
// context and the KV tier, and hands it to the engine thread through the
// RequestQueue; then it waits on the request's sink and writes the answer.
// HTTP threads never touch scheduler state: they read only the immutable
// model description below, the queue, the sinks and the metrics registry.
//
// Client disconnects: a waiting handler polls its socket (PeerClosed) at
// every wake-up, and a streaming one checks it before every write and treats
// a failed write the same way: the request is cancelled, and the engine loop
// aborts it (KV freed on both tiers) at its next iteration, before the next
// step.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/tokenizer.h"
#include "server/chat_template.h"
#include "server/http_connection.h"
#include "server/openai_request.h"
#include "server/request_queue.h"
#include "server/serving_metrics.h"

namespace cacheopt {

// What the routes know of the served model; fixed once serving starts.
struct ServedModel {
  std::string name;  // the `model` clients send (GET /v1/models)
  int64_t created = 0;
  int32_t context = 0;
  int32_t vocab_size = 0;
  int32_t block_size = 16;
  int32_t device_blocks = 0;
  std::vector<int32_t> stop_ids;     // the model's end-of-sequence tokens
  const Tokenizer* tokenizer = nullptr;  // immutable; Encode is const
  ChatTemplateKind chat_template = ChatTemplateKind::kPlain;
};

struct HttpRoutesOptions {
  std::string api_key;  // "": no authentication
  size_t max_body_bytes = kDefaultMaxBodyBytes;
  int retry_after_s = 1;  // Retry-After of a 429
  // How often a waiting handler looks at its socket (at most; any news
  // from the engine wakes it sooner).
  std::chrono::milliseconds poll{20};
  // Per-request limits (n, logprobs, prompt lists: --max-n, --max-logprobs,
  // --max-prompts), and the most choices (prompts x n) one request may
  // hold: its group enters the engine at once, so at most max-concurrency.
  RequestLimits limits;
  int32_t max_choices = 64;
};

// Lifecycle as the routes see it.
enum class ServerPhase : int8_t { kLoading, kReady, kDraining };

class HttpRoutes {
 public:
  explicit HttpRoutes(HttpRoutesOptions opts);

  // Installs every handler (before listening).
  void Register(HttpServer* http);
  // Once the engine is up: the routes start answering (phase kReady).
  void StartServing(ServedModel model, RequestQueue* queue, ServingMetrics* metrics);
  // /health answers 503 and new completions get 503 from now on.
  void StartDraining() { phase_.store(ServerPhase::kDraining, std::memory_order_release); }
  // (StartServing after StartDraining leaves the phase draining.)
  ServerPhase phase() const { return phase_.load(std::memory_order_acquire); }
  // The engine loop's health (false: /health answers 503).
  void SetHealthCheck(std::function<bool()> healthy) { healthy_ = std::move(healthy); }

  // Completion requests accepted and not yet answered in full.
  int64_t active() const { return active_->load(std::memory_order_acquire); }

 private:
  struct Stream;
  // A completion or chat request, from its body to its answer (JSON or SSE).
  void Complete(const httplib::Request& req, httplib::Response& res, ApiKind kind);
  // The tokens of prompt `index` (completions' prompt list; chat: 0).
  ApiResult<std::vector<int32_t>> PromptTokens(const CompletionRequest& req, ApiKind kind, size_t index = 0) const;
  // 400 (kv_capacity) when the prompt alone outgrows the device KV tier.
  std::optional<ApiError> CheckKvCapacity(int32_t prompt_len, ApiKind kind) const;
  // The engine's command for request number `n` (it seeds sampling).
  SubmitCommand MakeSubmit(const CompletionRequest& req, std::vector<int32_t> prompt, int32_t max_tokens,
                           uint64_t n, uint64_t choice = 0) const;
  static void StreamTo(httplib::Response& res, std::shared_ptr<Stream> st, std::chrono::milliseconds poll);
  void Models(httplib::Response& res) const;
  void Tokenize(const httplib::Request& req, httplib::Response& res) const;
  void Detokenize(const httplib::Request& req, httplib::Response& res) const;
  void Health(httplib::Response& res) const;
  void Metrics(httplib::Response& res) const;
  bool Authorized(const httplib::Request& req) const;
  void SendError(httplib::Response& res, const ApiError& e) const;
  void Reject(httplib::Response& res, const ApiError& e, RejectReason why) const;

  HttpRoutesOptions opts_;
  std::atomic<ServerPhase> phase_{ServerPhase::kLoading};
  // The fields below are set before serving_ becomes true (release) and
  // read only after seeing it (acquire).
  std::atomic<bool> serving_{false};
  ServedModel model_;
  std::vector<std::string> served_names_;
  RequestQueue* queue_ = nullptr;
  ServingMetrics* metrics_ = nullptr;
  const HttpServer* http_ = nullptr;  // set by Register
  std::function<bool()> healthy_;
  std::shared_ptr<std::atomic<int64_t>> active_ = std::make_shared<std::atomic<int64_t>>(0);
  std::atomic<uint64_t> next_request_{0};
  uint64_t seed_base_ = 0;
};

// Equal strings, in time that depends only on the lengths (API keys).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace cacheopt
