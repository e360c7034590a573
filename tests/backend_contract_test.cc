// The backend contract routers read (issue 16), end to end over loopback
// against an in-process server: the HAProxy agent check through the
// server's life and its drain sequence, vLLM's /tokenize and /detokenize,
// and the queue-time histogram. (A real Prometheus and a real HAProxy:
// scripts/prometheus-scrape-test.sh and scripts/cluster-test.py.)
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "serve_test_util.h"
#include "server/server.h"

namespace cacheopt {
namespace {

using json = nlohmann::json;
using serve_test::TestServer;
using serve_test::TinyOptions;
using std::chrono::milliseconds;

// One agent check as HAProxy makes it: connect, read the line. "" when the
// port refuses.
std::string AgentCheck(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    char buf[128];
    for (;;) {
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, 2000) <= 0) break;
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

httplib::Client Client(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(std::chrono::seconds(120));
  return c;
}

int HealthStatus(int port) {
  auto r = Client(port).Get("/health");
  return r ? r->status : -1;
}

TEST(BackendContractTest, AgentAndHealthThroughTheDrainSequence) {
  ServerOptions o = TinyOptions();
  o.lb_agent_port = 0;
  o.grace_period_s = 300;  // the stream below finishes well within it
  TestServer srv(o);
  const int port = srv.port();
  const int agent = srv.server().lb_agent_port();
  ASSERT_GT(agent, 0);
  ASSERT_EQ(HealthStatus(port), 200);
  EXPECT_EQ(AgentCheck(agent), "up ready 100%\n");  // idle: full weight

  // A long stream holds the engine while the drain starts.
  std::atomic<bool> started{false};
  std::string body;
  int stream_status = -1;
  std::thread t([&] {
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = json{{"prompt", "Once upon a time"}, {"max_tokens", 1200}, {"temperature", 0},
                    {"ignore_eos", true}, {"stream", true}}
                   .dump();
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* d, size_t n, uint64_t, uint64_t) {
      body.append(d, n);
      started = true;
      return true;
    };
    auto c = Client(port);
    if (auto r = c.send(req)) stream_status = r->status;
  });
  for (int i = 0; i < 4000 && !started; ++i) std::this_thread::sleep_for(milliseconds(1));
  ASSERT_TRUE(started);

  srv.server().Drain();
  // 1. At once: the agent says drain, /health is 503, new work is refused...
  EXPECT_EQ(AgentCheck(agent), "drain\n");
  EXPECT_EQ(HealthStatus(port), 503);
  auto late = Client(port).Post("/v1/completions", R"({"prompt": "x", "max_tokens": 2})", "application/json");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 503);
  // 2. ...while the in-flight stream runs to its end...
  t.join();
  EXPECT_EQ(stream_status, 200);
  EXPECT_NE(body.find("\"finish_reason\":\"length\""), std::string::npos) << body.substr(body.size() - 300);
  EXPECT_NE(body.find("data: [DONE]"), std::string::npos);
  // 3. ...then the server stops: nothing answers on either port.
  EXPECT_TRUE(srv.Finish().ok());
  EXPECT_EQ(AgentCheck(agent), "");
  EXPECT_EQ(HealthStatus(port), -1);
}

TEST(BackendContractTest, AgentSaysDownWhileNothingIsLoaded) {
  ServerOptions o = TinyOptions();
  o.lb_agent_port = 0;
  Server s(o);
  ASSERT_TRUE(s.Bind().ok());
  // Bound, the model not loaded (Run not called): out of rotation.
  EXPECT_EQ(AgentCheck(s.lb_agent_port()), "down #loading\n");
  EXPECT_EQ(s.LoadState().phase, AgentState::Phase::kLoading);
}

TEST(BackendContractTest, AgentPortInUseFailsBindWithAClearError) {
  ServerOptions a = TinyOptions();
  a.lb_agent_port = 0;
  TestServer first(a);
  ServerOptions b = TinyOptions();
  b.lb_agent_port = first.server().lb_agent_port();
  Server second(b);
  const Status s = second.Bind();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HAProxy agent"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("--lb-agent-port"), std::string::npos) << s.message();
  // The first one keeps serving, agent included.
  EXPECT_EQ(HealthStatus(first.port()), 200);
  EXPECT_EQ(AgentCheck(first.server().lb_agent_port()), "up ready 100%\n");
}

TEST(BackendContractTest, TokenizeAndDetokenizeAsVllm) {
  TestServer srv;
  const int port = srv.port();
  auto c = Client(port);
  auto r = c.Post("/tokenize", R"({"prompt": "Once upon a time", "return_token_strs": true})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json t = json::parse(r->body);
  const std::vector<int32_t> tokens = t["tokens"];
  EXPECT_EQ(t["count"], tokens.size());
  EXPECT_EQ(t["max_model_len"], serve_test::kContext);
  ASSERT_EQ(t["token_strs"].size(), tokens.size());
  EXPECT_EQ(tokens.front(), 1);  // BOS: add_special_tokens defaults to true
  // The same tokens a completion counts as its prompt.
  auto comp = c.Post("/v1/completions", R"({"prompt": "Once upon a time", "max_tokens": 1, "temperature": 0})",
                     "application/json");
  ASSERT_TRUE(comp);
  ASSERT_EQ(comp->status, 200) << comp->body;
  EXPECT_EQ(json::parse(comp->body)["usage"]["prompt_tokens"], tokens.size());
  // Without BOS, and back to the text.
  r = c.Post("/tokenize", R"({"prompt": "Once upon a time", "add_special_tokens": false})", "application/json");
  ASSERT_TRUE(r);
  const std::vector<int32_t> bare = json::parse(r->body)["tokens"];
  EXPECT_EQ(bare.size() + 1, tokens.size());
  EXPECT_TRUE(json::parse(r->body)["token_strs"].is_null());
  r = c.Post("/detokenize", json{{"tokens", tokens}}.dump(), "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json::parse(r->body)["prompt"], "Once upon a time");
  // Chat: the template's tokens.
  r = c.Post("/tokenize", R"({"messages": [{"role": "user", "content": "Hello"}]})", "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_GT(json::parse(r->body)["count"].get<int>(), 0);
  // Bad input: named, and the server keeps serving.
  r = c.Post("/detokenize", R"({"tokens": [1, 99999999]})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(json::parse(r->body)["error"]["param"], "tokens[1]");
  r = c.Post("/tokenize", R"({"prompt": "x", "model": "nope"})", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(HealthStatus(port), 200);
}

TEST(BackendContractTest, QueueTimeIsObservedOncePerRequest) {
  TestServer srv;
  const int port = srv.port();
  auto c = Client(port);
  for (int i = 0; i < 3; ++i) {
    auto r = c.Post("/v1/completions", R"({"prompt": "Once", "max_tokens": 3, "temperature": 0})", "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
  }
  const std::string m = c.Get("/metrics")->body;
  EXPECT_EQ(serve_test::MetricValue(m, "vllm:request_queue_time_seconds_count"), 3);
  EXPECT_GE(serve_test::MetricValue(m, "vllm:request_queue_time_seconds_sum"), 0);
  EXPECT_LE(serve_test::MetricValue(m, "vllm:request_queue_time_seconds_sum"),
            serve_test::MetricValue(m, "vllm:time_to_first_token_seconds_sum"));
  EXPECT_EQ(serve_test::MetricValue(m, "vllm:gpu_cache_usage_perc"),
            serve_test::MetricValue(m, "vllm:kv_cache_usage_perc"));
}

}  // namespace
}  // namespace cacheopt
