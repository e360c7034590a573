// The OpenAI-compatible server end to end, over HTTP on 127.0.0.1 with
// cpp-httplib's client: an in-process server on an ephemeral port with the
// random-weight tiny model (no ../shared needed), and the built binary for
// SIGTERM. Endpoints, SSE framing, every bad-input case, 401, 429, client
// disconnects (KV freed), drains, and 64 concurrent streams under
// preemption.
#include <gtest/gtest.h>
#include <httplib.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "serve_test_util.h"
#include "support/run_command.h"
#include "server/server.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

using serve_test::kContext;
using serve_test::TestServer;
using serve_test::TinyOptions;

struct Reply {
  int status = -1;
  std::string error;  // the client's, when there is no response
  std::string body;
  httplib::Headers headers;
  json j() const { return json::parse(body); }
};

httplib::Client Client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(seconds(120));
  c.set_write_timeout(seconds(60));
  return c;
}

Reply Post(int port, const std::string& path, const std::string& body, httplib::Headers headers = {}) {
  auto c = Client(port);
  auto r = c.Post(path.c_str(), headers, body, "application/json");
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  return out;
}

Reply Get(int port, const std::string& path, httplib::Headers headers = {}) {
  auto c = Client(port);
  auto r = c.Get(path.c_str(), headers);
  Reply out;
  if (!r) return out;
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  return out;
}

// A streamed POST; `on_data` sees each piece as it arrives and may return
// false to hang up.
Reply PostStream(int port, const std::string& path, const std::string& body,
                 const std::function<bool(const std::string& so_far)>& on_data = nullptr) {
  auto c = Client(port);
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body;
  req.set_header("Content-Type", "application/json");
  Reply out;
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    out.body.append(data, n);
    return on_data ? on_data(out.body) : true;
  };
  auto r = c.send(req);
  if (r) {
    out.status = r->status;
    out.headers = r->headers;
    if (out.body.empty()) out.body = r->body;
  } else {
    out.error = httplib::to_string(r.error());
  }
  return out;
}

struct Sse {
  std::vector<json> events;
  bool done = false;
  bool framing_ok = true;
  std::string Text() const {
    std::string t;
    for (const json& e : events) {
      if (!e.contains("choices") || e["choices"].empty()) continue;
      const json& c = e["choices"][0];
      if (c.contains("text")) t += c["text"].get<std::string>();
      if (c.contains("delta") && c["delta"].contains("content")) t += c["delta"]["content"].get<std::string>();
    }
    return t;
  }
  std::string FinishReason() const {
    for (const json& e : events) {
      if (e.contains("choices") && !e["choices"].empty() && !e["choices"][0]["finish_reason"].is_null())
        return e["choices"][0]["finish_reason"];
    }
    return "";
  }
};

// "data: <json>\n\n" ... "data: [DONE]\n\n", nothing else.
Sse ParseSse(const std::string& body) {
  Sse s;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t end = body.find("\n\n", pos);
    if (end == std::string::npos) {
      s.framing_ok = false;
      break;
    }
    const std::string ev = body.substr(pos, end - pos);
    pos = end + 2;
    if (ev.rfind("data: ", 0) != 0 || s.done) {
      s.framing_ok = false;
      continue;
    }
    const std::string data = ev.substr(6);
    if (data == "[DONE]") {
      s.done = true;
      continue;
    }
    s.events.push_back(json::parse(data));
  }
  return s;
}

// Polls /metrics until `pred` holds (true) or 10 s pass.
bool WaitMetrics(int port, const std::function<bool(const std::string&)>& pred) {
  for (int i = 0; i < 2000; ++i) {
    if (pred(Get(port, "/metrics").body)) return true;
    std::this_thread::sleep_for(milliseconds(5));
  }
  return false;
}

std::string Completion(const std::string& prompt, int max_tokens, bool stream, const std::string& extra = "") {
  json j = {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0}, {"stream", stream}};
  std::string s = j.dump();
  if (!extra.empty()) s = s.substr(0, s.size() - 1) + "," + extra + "}";
  return s;
}

TEST(ServeTest, CompletionsWholeAndStreamedAgree) {
  TestServer srv;
  const int port = srv.port();
  Reply whole = Post(port, "/v1/completions", Completion("Once upon a time", 24, false));
  ASSERT_EQ(whole.status, 200) << whole.body;
  json w = whole.j();
  EXPECT_EQ(w["object"], "text_completion");
  EXPECT_EQ(w["model"], "random-tiny");
  EXPECT_EQ(w["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(w["usage"]["completion_tokens"], 24);
  EXPECT_GT(w["usage"]["prompt_tokens"].get<int>(), 1);
  const std::string text = w["choices"][0]["text"];

  Reply streamed = PostStream(port, "/v1/completions",
                              Completion("Once upon a time", 24, true, R"("stream_options": {"include_usage": true})"));
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.headers.find("Content-Type")->second.find("text/event-stream"), std::string::npos);
  Sse sse = ParseSse(streamed.body);
  EXPECT_TRUE(sse.framing_ok) << streamed.body;
  EXPECT_TRUE(sse.done);
  EXPECT_EQ(sse.Text(), text);  // greedy: the same text either way
  EXPECT_EQ(sse.FinishReason(), "length");
  ASSERT_GE(sse.events.size(), 2u);
  // include_usage: usage null on every chunk, then one with choices [] and the usage.
  for (size_t i = 0; i + 1 < sse.events.size(); ++i) EXPECT_TRUE(sse.events[i]["usage"].is_null()) << i;
  const json& last = sse.events.back();
  EXPECT_TRUE(last["choices"].empty());
  EXPECT_EQ(last["usage"]["completion_tokens"], 24);
  EXPECT_EQ(last["usage"]["total_tokens"], last["usage"]["prompt_tokens"].get<int>() + 24);

  // Without include_usage: no usage chunk.
  Sse plain = ParseSse(PostStream(port, "/v1/completions", Completion("Once upon a time", 5, true)).body);
  EXPECT_TRUE(plain.done);
  for (const json& e : plain.events) EXPECT_FALSE(e.contains("usage") && !e["usage"].is_null());
}

TEST(ServeTest, ChatWholeAndStreamed) {
  TestServer srv;
  const int port = srv.port();
  const json body = {{"model", "random-tiny"},
                     {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}}},
                     {"max_tokens", 12},
                     {"temperature", 0}};
  Reply whole = Post(port, "/v1/chat/completions", body.dump());
  ASSERT_EQ(whole.status, 200) << whole.body;
  json w = whole.j();
  EXPECT_EQ(w["object"], "chat.completion");
  EXPECT_EQ(w["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(w["usage"]["completion_tokens"], 12);

  json sb = body;
  sb["stream"] = true;
  Sse sse = ParseSse(PostStream(port, "/v1/chat/completions", sb.dump()).body);
  EXPECT_TRUE(sse.framing_ok);
  EXPECT_TRUE(sse.done);
  ASSERT_FALSE(sse.events.empty());
  EXPECT_EQ(sse.events[0]["object"], "chat.completion.chunk");
  EXPECT_EQ(sse.events[0]["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(sse.Text(), w["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_EQ(sse.FinishReason(), "length");
}

TEST(ServeTest, SamplingStopAndExtensions) {
  TestServer srv;
  const int port = srv.port();
  // Seeded sampling repeats itself.
  const std::string seeded = R"({"prompt": "Hello", "max_tokens": 16, "temperature": 0.9, "top_p": 0.9, "seed": 42})";
  Reply a = Post(port, "/v1/completions", seeded), b = Post(port, "/v1/completions", seeded);
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.j()["choices"][0]["text"], b.j()["choices"][0]["text"]);
  // eos_after ends the sequence after exactly that many tokens: "stop".
  Reply e = Post(port, "/v1/completions", R"({"prompt": "Hello", "max_tokens": 50, "temperature": 0, "eos_after": 7})");
  ASSERT_EQ(e.status, 200) << e.body;
  EXPECT_EQ(e.j()["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(e.j()["usage"]["completion_tokens"], 7);
  // A stop string cuts the text before it.
  const std::string full = Post(port, "/v1/completions", Completion("Hello", 30, false)).j()["choices"][0]["text"];
  ASSERT_GT(full.size(), 10u);
  const std::string stop = full.substr(full.size() / 2, 2);
  Reply s = Post(port, "/v1/completions", Completion("Hello", 30, false, "\"stop\": " + json(stop).dump()));
  ASSERT_EQ(s.status, 200) << s.body;
  EXPECT_EQ(s.j()["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(s.j()["choices"][0]["text"], full.substr(0, full.find(stop)));
  // Per-request SLO fields and vLLM's extensions are accepted.
  Reply slo = Post(port, "/v1/completions",
                   Completion("Hello", 4, false, R"("slo_class": "tight", "tbt_slo_ms": 50, "ttft_slo_ms": 800, "ignore_eos": true, "min_tokens": 2)"));
  EXPECT_EQ(slo.status, 200) << slo.body;
  // Token-id prompts.
  Reply ids = Post(port, "/v1/completions", R"({"prompt": [1, 50, 60], "max_tokens": 3, "temperature": 0})");
  EXPECT_EQ(ids.status, 200) << ids.body;
  EXPECT_EQ(ids.j()["usage"]["prompt_tokens"], 3);
}

TEST(ServeTest, ModelsHealthAndMetrics) {
  TestServer srv;
  const int port = srv.port();
  Reply m = Get(port, "/v1/models");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.j()["data"][0]["id"], "random-tiny");
  EXPECT_EQ(m.j()["data"][0]["max_model_len"], kContext);
  EXPECT_EQ(Get(port, "/health").status, 200);
  ASSERT_EQ(Post(port, "/v1/completions", Completion("Hi", 8, false)).status, 200);

  Reply met = Get(port, "/metrics");
  ASSERT_EQ(met.status, 200);
  EXPECT_NE(met.headers.find("Content-Type")->second.find("text/plain"), std::string::npos);
  for (const char* name :
       {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
        "vllm:num_preemptions_total", "vllm:prompt_tokens_total", "vllm:generation_tokens_total",
        "vllm:time_to_first_token_seconds_count", "vllm:inter_token_latency_seconds_count",
        "vllm:e2e_request_latency_seconds_count", "vllm:request_success_total", "vllm:cache_config_info",
        "cacheopt_preemptions_total", "cacheopt_swap_out_blocks_total", "cacheopt_recomputed_tokens_total",
        "cacheopt_lent_blocks", "cacheopt_reserve_blocks_in_use", "cacheopt_slo_attained_total"}) {
    EXPECT_GE(serve_test::MetricValue(met.body, name), 0) << name;
  }
  const double kv = serve_test::MetricValue(met.body, "vllm:kv_cache_usage_perc");
  EXPECT_GE(kv, 0);
  EXPECT_LE(kv, 1);
  EXPECT_EQ(serve_test::MetricValue(met.body, "vllm:generation_tokens_total"), 8);
  EXPECT_EQ(serve_test::MetricValue(met.body, "vllm:e2e_request_latency_seconds_count"), 1);
  EXPECT_NE(met.body.find("block_size=\"16\""), std::string::npos);
  EXPECT_NE(met.body.find("num_gpu_blocks=\""), std::string::npos);

  // Scrape cost: 200 scrapes back to back, all answered.
  std::vector<double> ms;
  auto c = Client(port);
  for (int i = 0; i < 200; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = c.Get("/metrics");
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    ASSERT_TRUE(r && r->status == 200);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("[ /metrics scrape: p50 %.3f ms, p99 %.3f ms over %zu ]\n", ms[ms.size() / 2], ms[ms.size() * 99 / 100],
              ms.size());
  // Printed only: a timing bound here fails on a loaded machine (it did, at
  // 44 ms); the scrape-latency goal is checked by microbench/metrics_scrape_bench.
}

// The prefix cache through the server: a repeated prompt's second answer is
// the same and says how much of its prompt was cached; /metrics counts it.
TEST(ServeTest, PrefixCacheHitsAreReportedInUsageAndMetrics) {
  ServerOptions o = TinyOptions();
  o.engine.policy = "vllm-v1";  // automatic prefix caching on by default
  TestServer srv(std::move(o));
  const int port = srv.port();
  const std::string prompt(200, 'a');  // about 200 tokens: several full blocks
  Reply first = Post(port, "/v1/completions", Completion(prompt, 8, false));
  Reply second = Post(port, "/v1/completions", Completion(prompt, 8, false));
  ASSERT_EQ(first.status, 200);
  ASSERT_EQ(second.status, 200);
  EXPECT_EQ(first.j()["choices"][0]["text"], second.j()["choices"][0]["text"]);
  EXPECT_EQ(first.j()["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  const int cached = second.j()["usage"]["prompt_tokens_details"]["cached_tokens"];
  const int prompt_tokens = second.j()["usage"]["prompt_tokens"];
  EXPECT_GT(cached, 0);
  EXPECT_LT(cached, prompt_tokens);  // at least one token is always computed
  EXPECT_EQ(cached % 16, 0);         // whole blocks
  Reply met = Get(port, "/metrics");
  EXPECT_EQ(serve_test::MetricValue(met.body, "vllm:prefix_cache_hits_total"), cached);
  EXPECT_EQ(serve_test::MetricValue(met.body, "vllm:prefix_cache_queries_total"), 2 * prompt_tokens);
}

// A request's X-Request-Id comes back on its answer, streamed or not, and on
// an error; without one, none is made up.
TEST(ServeTest, XRequestIdIsEchoed) {
  TestServer srv;
  const int port = srv.port();
  Reply whole = Post(port, "/v1/completions", Completion("Hi", 4, false), {{"X-Request-Id", "req-42"}});
  ASSERT_EQ(whole.status, 200);
  EXPECT_EQ(whole.headers.find("X-Request-Id")->second, "req-42");
  Reply streamed = Post(port, "/v1/completions", Completion("Hi", 4, true), {{"X-Request-Id", "req-43"}});
  ASSERT_EQ(streamed.status, 200);
  EXPECT_EQ(streamed.headers.find("X-Request-Id")->second, "req-43");
  Reply bad = Post(port, "/v1/completions", R"({"prompt": 5})", {{"X-Request-Id", "req-44"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.headers.find("X-Request-Id")->second, "req-44");
  Reply none = Post(port, "/v1/completions", Completion("Hi", 4, false));
  EXPECT_EQ(none.headers.count("X-Request-Id"), 0u);
}

TEST(ServeTest, BadInputGetsOpenAiErrorsNamingTheField) {
  ServerOptions o = TinyOptions();
  o.max_body_bytes = 64 * 1024;
  TestServer srv(o);
  const int port = srv.port();
  struct Case {
    const char* what;
    std::string body;
    int status;
    std::string param;  // "" = null
    std::string in_message;
  };
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"prompt": "x", )", 400, "", "not valid JSON"},
      {"not an object", R"([1, 2])", 400, "", "JSON object"},
      {"wrong type", R"({"prompt": "x", "temperature": "hot"})", 400, "temperature", "'temperature'"},
      {"wrong type (max_tokens)", R"({"prompt": "x", "max_tokens": "ten"})", 400, "max_tokens", "'max_tokens'"},
      {"unknown model", R"({"model": "gpt-9", "prompt": "x"})", 404, "model", "gpt-9"},
      {"max_tokens 0", R"({"prompt": "x", "max_tokens": 0})", 400, "max_tokens", "'max_tokens'"},
      {"max_tokens < 0", R"({"prompt": "x", "max_tokens": -5})", 400, "max_tokens", "'max_tokens'"},
      {"over the context", R"({"prompt": "x", "max_tokens": 5000})", 400, "max_tokens", "context length"},
      {"missing prompt", R"({"max_tokens": 3})", 400, "prompt", "'prompt'"},
      {"token out of vocab", R"({"prompt": [1, 99999], "max_tokens": 3})", 400, "prompt", "vocabulary"},
      {"n over --max-n", R"({"prompt": "x", "n": 17})", 400, "n", "'n'"},
  };
  for (const Case& c : cases) {
    Reply r = Post(port, "/v1/completions", c.body);
    EXPECT_EQ(r.status, c.status) << c.what << ": " << r.body;
    ASSERT_NO_THROW(r.j()) << c.what << ": " << r.body;
    json e = r.j()["error"];
    EXPECT_EQ(e["param"], c.param.empty() ? json(nullptr) : json(c.param)) << c.what;
    EXPECT_NE(e["message"].get<std::string>().find(c.in_message), std::string::npos) << c.what << ": " << e;
    EXPECT_TRUE(e.contains("type")) << c.what;
  }
  // Chat: a bad role names the message.
  Reply chat = Post(port, "/v1/chat/completions", R"({"messages": [{"role": "wizard", "content": "x"}]})");
  EXPECT_EQ(chat.status, 400);
  EXPECT_EQ(chat.j()["error"]["param"], "messages[0].role");
  // A body over the limit: 413, before parsing.
  Reply big = Post(port, "/v1/completions", R"({"prompt": ")" + std::string(100 * 1024, 'a') + R"("})");
  EXPECT_EQ(big.status, 413) << big.body;
  EXPECT_NE(big.j()["error"]["message"].get<std::string>().find("limit"), std::string::npos);
  // No such route.
  Reply nope = Get(port, "/v2/whatever");
  EXPECT_EQ(nope.status, 404);
  EXPECT_NO_THROW(nope.j());
  // The server keeps serving, and counted the refusals.
  EXPECT_EQ(Post(port, "/v1/completions", Completion("x", 2, false)).status, 200);
  const std::string met = Get(port, "/metrics").body;
  EXPECT_GE(serve_test::MetricValue(met, "cacheopt_requests_rejected_total", "reason=\"invalid_request\""), 5);
  EXPECT_EQ(serve_test::MetricValue(met, "cacheopt_requests_rejected_total", "reason=\"model_not_found\""), 1);
  EXPECT_EQ(serve_test::MetricValue(met, "cacheopt_requests_rejected_total", "reason=\"context_length\""), 1);
  EXPECT_EQ(serve_test::MetricValue(met, "cacheopt_requests_rejected_total", "reason=\"body_too_large\""), 1);
}

TEST(ServeTest, ApiKey) {
  ServerOptions o = TinyOptions();
  o.api_key = "sk-test-123";
  TestServer srv(o);
  const int port = srv.port();
  const std::string body = Completion("x", 2, false);
  Reply none = Post(port, "/v1/completions", body);
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.j()["error"]["code"], "invalid_api_key");
  EXPECT_EQ(Post(port, "/v1/completions", body, {{"Authorization", "Bearer sk-test-124"}}).status, 401);
  EXPECT_EQ(Post(port, "/v1/completions", body, {{"Authorization", "Bearer sk-test-12"}}).status, 401);
  EXPECT_EQ(Post(port, "/v1/completions", body, {{"Authorization", "sk-test-123"}}).status, 401);
  EXPECT_EQ(Get(port, "/v1/models").status, 401);
  EXPECT_EQ(Post(port, "/v1/completions", body, {{"Authorization", "Bearer sk-test-123"}}).status, 200);
  EXPECT_EQ(Get(port, "/v1/models", {{"Authorization", "Bearer sk-test-123"}}).status, 200);
  // Probes and scrapes need no key.
  EXPECT_EQ(Get(port, "/health").status, 200);
  EXPECT_EQ(Get(port, "/metrics").status, 200);
}

// A long streamed generation: 1500 tokens take about 1.5 s on the tiny model
// at this context (3800 about 10 s).
std::string LongRequest(int max_tokens = 1500) {
  return json({{"prompt", "Once"}, {"max_tokens", max_tokens}, {"temperature", 0}, {"ignore_eos", true},
               {"stream", true}})
      .dump();
}

// A long streaming request on its own thread, returned once its first chunk
// came (`*started`): it holds the engine for a while. Its reply goes to
// `*reply` when given.
std::thread HoldEngine(int port, std::atomic<bool>* started, int max_tokens = 1500, Reply* reply = nullptr) {
  std::thread t([port, started, max_tokens, reply] {
    Reply r = PostStream(port, "/v1/completions", LongRequest(max_tokens), [started](const std::string&) {
      *started = true;
      return true;
    });
    if (reply != nullptr) *reply = std::move(r);
  });
  for (int i = 0; i < 4000 && !*started; ++i) std::this_thread::sleep_for(milliseconds(1));
  return t;
}

TEST(ServeTest, QueueFullGets429WithRetryAfter) {
  ServerOptions o = TinyOptions();
  o.max_concurrency = 1;
  o.max_queue = 1;
  TestServer srv(o);
  const int port = srv.port();
  // A runs in the engine; B waits in the queue; C finds it full.
  std::atomic<bool> a_started{false};
  std::thread a = HoldEngine(port, &a_started);
  ASSERT_TRUE(a_started);
  Reply b_reply;
  std::thread b([&] { b_reply = Post(port, "/v1/completions", Completion("x", 4, false)); });
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& m) { return serve_test::MetricValue(m, "vllm:num_requests_waiting") >= 1; }));
  Reply c = Post(port, "/v1/completions", Completion("x", 4, false));
  EXPECT_EQ(c.status, 429) << c.body;
  EXPECT_EQ(c.j()["error"]["type"], "rate_limit_error");
  auto ra = c.headers.find("Retry-After");
  ASSERT_NE(ra, c.headers.end());
  EXPECT_GE(std::stoi(ra->second), 1);
  EXPECT_EQ(serve_test::MetricValue(Get(port, "/metrics").body, "cacheopt_requests_rejected_total", "reason=\"queue_full\""), 1);
  a.join();
  b.join();
  EXPECT_EQ(b_reply.status, 200) << b_reply.body;  // the queued one was served
}

TEST(ServeTest, ClientDisconnectMidStreamAbortsAndFreesKv) {
  TestServer srv;
  const int port = srv.port();
  // Hang up after the first chunks.
  int chunks = 0;
  Reply r = PostStream(port, "/v1/completions", LongRequest(3800), [&](const std::string&) { return ++chunks < 3; });
  ASSERT_GE(chunks, 1);
  ASSERT_TRUE(WaitMetrics(port, [](const std::string& m) {
    return serve_test::MetricValue(m, "vllm:request_success_total", "finished_reason=\"abort\"") == 1;
  })) << Get(port, "/metrics").body;
  const std::string met = Get(port, "/metrics").body;
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:kv_cache_usage_perc"), 0);
  EXPECT_EQ(serve_test::MetricValue(met, "cacheopt_kv_host_usage_perc"), 0);
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:num_requests_running"), 0);
  // Aborted long before its 3800 tokens.
  EXPECT_LT(serve_test::MetricValue(met, "vllm:generation_tokens_total"), 1500);
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:request_success_total", "finished_reason=\"length\""), 0);
}

TEST(ServeTest, ClientGoneWhileWaitingIsAborted) {
  ServerOptions o = TinyOptions();
  o.max_concurrency = 1;
  TestServer srv(o);
  const int port = srv.port();
  // A holds the engine; B (non-streaming) waits behind it, and its client
  // gives up (read timeout) long before A ends.
  std::atomic<bool> a_started{false};
  std::thread a = HoldEngine(port, &a_started);
  ASSERT_TRUE(a_started);
  {
    httplib::Client c("127.0.0.1", port);
    c.set_read_timeout(milliseconds(200));
    auto r = c.Post("/v1/completions", Completion("x", 4, false), "application/json");
    EXPECT_FALSE(r);  // timed out and hung up
  }
  // Seen closed while queued: it leaves the queue without running.
  EXPECT_TRUE(WaitMetrics(port, [](const std::string& m) { return serve_test::MetricValue(m, "vllm:num_requests_waiting") == 0; }));
  a.join();
  const std::string met = Get(port, "/metrics").body;
  // A ran to its length; B never reached the engine, and counts as aborted
  // (as vLLM counts a request aborted in its waiting queue), so every
  // accepted request is in the books.
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:request_success_total", "finished_reason=\"length\""), 1);
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:request_success_total", "finished_reason=\"abort\""), 1);
  EXPECT_EQ(serve_test::MetricValue(met, "cacheopt_requests_accepted_total"), 2);
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:time_to_first_token_seconds_count"), 1);
}

TEST(ServeTest, DrainFinishesInFlightAndHealthTurns503) {
  ServerOptions o = TinyOptions();
  o.grace_period_s = 300;  // sanitizer builds are slow
  TestServer srv(o);
  const int port = srv.port();
  std::atomic<bool> started{false};
  Reply stream;
  std::thread t = HoldEngine(port, &started, 1500, &stream);
  ASSERT_TRUE(started);
  ASSERT_EQ(Get(port, "/health").status, 200);
  srv.server().Drain();
  // 503 as soon as the drain starts, while the stream is still running.
  Reply h = Get(port, "/health");
  EXPECT_EQ(h.status, 503);
  Reply late = Post(port, "/v1/completions", Completion("x", 2, false));
  EXPECT_EQ(late.status, 503);
  t.join();
  Sse sse = ParseSse(stream.body);
  EXPECT_TRUE(sse.done);
  EXPECT_EQ(sse.FinishReason(), "length");  // finished within the grace period
  EXPECT_TRUE(srv.Finish().ok());
}

TEST(ServeTest, DrainPastTheGracePeriodAbortsInFlight) {
  ServerOptions o = TinyOptions();
  o.grace_period_s = 0.1;
  TestServer srv(o);
  const int port = srv.port();
  std::atomic<bool> started{false};
  Reply stream;
  std::thread t = HoldEngine(port, &started, 3800, &stream);
  ASSERT_TRUE(started);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(srv.Finish().ok());
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
  t.join();
  Sse sse = ParseSse(stream.body);
  EXPECT_TRUE(sse.done) << stream.body.substr(stream.body.size() > 300 ? stream.body.size() - 300 : 0);
  EXPECT_EQ(sse.FinishReason(), "abort");
}

TEST(ServeTest, SixtyFourConcurrentStreamsUnderPreemption) {
  ServerOptions o = TinyOptions();
  o.engine.policy = "vllm";
  o.engine.device_blocks = 48;  // 768 tokens for 64 requests of ~60: preemptions
  TestServer srv(o);
  const int port = srv.port();
  constexpr int kN = 64;
  std::vector<std::string> bodies, solo(kN);
  for (int i = 0; i < kN; ++i) {
    bodies.push_back(json({{"prompt", "Story " + std::to_string(i * 37) + " begins"},
                           {"max_tokens", 40 + i % 20},
                           {"temperature", 0},
                           {"ignore_eos", true},
                           {"stream", true}})
                         .dump());
  }
  for (int i = 0; i < kN; ++i) solo[i] = ParseSse(PostStream(port, "/v1/completions", bodies[i]).body).Text();
  ASSERT_EQ(serve_test::MetricValue(Get(port, "/metrics").body, "vllm:num_preemptions_total"), 0);

  std::vector<Sse> got(kN);
  std::vector<Reply> replies(kN);
  std::vector<std::thread> threads;
  for (int i = 0; i < kN; ++i) {
    threads.emplace_back([&, i] {
      replies[i] = PostStream(port, "/v1/completions", bodies[i]);
      got[i] = ParseSse(replies[i].body);
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < kN; ++i) {
    EXPECT_EQ(replies[i].status, 200) << i << ": " << replies[i].error;
    EXPECT_TRUE(got[i].done) << i;
    EXPECT_TRUE(got[i].framing_ok) << i;
    EXPECT_EQ(got[i].FinishReason(), "length") << i;
    EXPECT_EQ(got[i].Text(), solo[i]) << i;
  }
  const std::string met = Get(port, "/metrics").body;
  std::printf("[ 64 streams: %.0f preemptions ]\n", serve_test::MetricValue(met, "vllm:num_preemptions_total"));
  EXPECT_GT(serve_test::MetricValue(met, "vllm:num_preemptions_total"), 0);
  EXPECT_EQ(serve_test::MetricValue(met, "vllm:request_success_total", "finished_reason=\"length\""), 2 * kN);
  EXPECT_TRUE(WaitMetrics(port, [](const std::string& m) { return serve_test::MetricValue(m, "vllm:kv_cache_usage_perc") == 0; }));
}

TEST(ServeTest, ABadPolicyOrModelFailsFast) {
  ServerOptions o = TinyOptions();
  o.engine.policy = "nope";
  Server server(o);
  ASSERT_TRUE(server.Bind().ok());
  Status s = server.Run();  // returns: the listener stops though the engine never came up
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nope"), std::string::npos) << s.message();
  // The binary says so and exits 2.
  const std::string cmd = "timeout 60 " + std::string(CACHEOPT_BINARY) +
                          " serve --port 0 --model /no/such/model.bin 2>&1; echo \"rc=$?\"";
  const std::string out = testing::RunCommand(cmd).output;
  EXPECT_NE(out.find("error:"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=2"), std::string::npos) << out;
}

// A greedy completion equals `cacheopt generate`'s continuation of the same
// prompt (the shared stories260K when present, else the same random model),
// streamed or not, and a one-message chat under the plain template too.
TEST(ServeTest, GreedyCompletionEqualsGenerate) {
  const std::string stories = std::string(CACHEOPT_SHARED_DIR) + "/models/stories260K/stories260K.bin";
  const bool have = access(stories.c_str(), R_OK) == 0;
  ServerOptions o = TinyOptions();
  o.engine.model = ModelSource{};
  if (have) {
    o.engine.model.path = stories;
  } else {
    o.engine.model.generate_config = "tiny";  // generate's own fallback, seed 0
  }
  o.chat_template = "plain";
  TestServer srv(o);
  const int port = srv.port();
  for (const std::string prompt : {"Once upon a time", "Zoo", ""}) {
    const std::string cmd = std::string(CACHEOPT_BINARY) + " generate " + (have ? "--model " + stories : "") +
                            " -t 0 -n 60 --prompt '" + prompt + "' 2>/dev/null";
    const auto [code, out] = testing::RunCommand(cmd);
    ASSERT_EQ(code, 0) << cmd;
    ASSERT_FALSE(out.empty());
    const json body = {{"prompt", prompt}, {"max_tokens", 60}, {"temperature", 0}};
    Reply whole = Post(port, "/v1/completions", body.dump());
    ASSERT_EQ(whole.status, 200) << whole.body;
    const std::string text = whole.j()["choices"][0]["text"];
    ASSERT_FALSE(text.empty());
    // generate prints the prompt's pieces, the continuation, then "\n".
    EXPECT_TRUE(out.size() > text.size() && out.compare(out.size() - text.size() - 1, text.size(), text) == 0)
        << "prompt '" << prompt << "'\ngenerate: " << out << "\nserver:   " << text;
    json sb = body;
    sb["stream"] = true;
    EXPECT_EQ(ParseSse(PostStream(port, "/v1/completions", sb.dump()).body).Text(), text) << prompt;
    if (!prompt.empty()) {
      const json chat = {{"messages", {{{"role", "user"}, {"content", prompt}}}}, {"max_tokens", 60}, {"temperature", 0}};
      Reply c = Post(port, "/v1/chat/completions", chat.dump());
      ASSERT_EQ(c.status, 200) << c.body;
      EXPECT_EQ(c.j()["choices"][0]["message"]["content"], text) << prompt;
    }
  }
}

// The built binary: SIGTERM while a stream runs -> /health 503, the stream
// finishes, exit 0.
TEST(ServeTest, SigtermDrainsAndExitsZero) {
  const std::string log = ::testing::TempDir() + "serve_sigterm_" + std::to_string(getpid()) + ".log";
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = open("/dev/null", O_WRONLY);
    if (err >= 0) dup2(err, 2);
    if (null >= 0) dup2(null, 1);
    execl(CACHEOPT_BINARY, CACHEOPT_BINARY, "serve", "--port", "0", "--context", "4096", "--grace-period", "300",
          "--threads", "2", static_cast<char*>(nullptr));
    _exit(127);
  }
  // The port it picked: "serve: listening on http://127.0.0.1:PORT (...)".
  int port = -1;
  for (int i = 0; i < 600 && port < 0; ++i) {
    std::ifstream in(log);
    std::string line;
    while (std::getline(in, line)) {
      const std::string tag = "serve: listening on http://127.0.0.1:";
      if (line.rfind(tag, 0) == 0) port = std::atoi(line.c_str() + tag.size());
    }
    if (port < 0) std::this_thread::sleep_for(milliseconds(20));
  }
  ASSERT_GT(port, 0) << "no port in " << log;
  bool up = false;
  for (int i = 0; i < 600 && !up; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
    up = Get(port, "/health").status == 200;
  }
  ASSERT_TRUE(up) << "server did not come up; log: " << log;
  std::atomic<bool> started{false};
  Reply stream;
  std::thread t = HoldEngine(port, &started, 1500, &stream);
  ASSERT_TRUE(started);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int health = 0;
  for (int i = 0; i < 200 && health != 503; ++i) {
    health = Get(port, "/health").status;
    if (health != 503) std::this_thread::sleep_for(milliseconds(5));
  }
  EXPECT_EQ(health, 503);
  t.join();
  EXPECT_EQ(ParseSse(stream.body).FinishReason(), "length");
  int status = 0;
  pid_t done = 0;
  for (int i = 0; i < 600 && done == 0; ++i) {
    done = waitpid(pid, &status, WNOHANG);
    if (done == 0) std::this_thread::sleep_for(milliseconds(50));
  }
  if (done == 0) kill(pid, SIGKILL);
  ASSERT_EQ(done, pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  std::ifstream in(log);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("SIGTERM: draining"), std::string::npos) << text;
}

}  // namespace
}  // namespace cacheopt
