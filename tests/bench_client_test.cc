// The benchmark client (src/bench_client) end to end against a real
// in-process server (the random-weight tiny model on 127.0.0.1): every
// request completes with exactly the trace's output length, the recorded
// timings and counts agree with what the server sent, and a wrong URL fails
// before anything is sent, with a message that says why.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <numeric>
#include <set>
#include <string>
#include <thread>

#include "cacheopt/metrics/slo.h"
#include "calibration/cpu_cost_profile.h"
#include "loadgen/bench_result_json.h"
#include "loadgen/request_body.h"
#include "loadgen/runner.h"
#include "serve_test_util.h"
#include "support/run_command.h"
#include "trace/synthetic.h"

namespace cacheopt {
namespace {

using serve_test::kContext;
using serve_test::TestServer;
using serve_test::TinyOptions;
using ::testing::HasSubstr;

bench::BenchOptions Options(int port, int64_t n) {
  bench::BenchOptions o;
  o.base_url = "http://127.0.0.1:" + std::to_string(port);
  o.plan.rate_rps = 20;
  o.plan.num_requests = n;
  o.plan.seed = 1;
  o.workload_name = "synthetic";
  return o;
}

// Every request succeeded, stopped at its eos_after, and what the client
// recorded is consistent with what the server reported.
void ExpectConsistent(const bench::BenchRun& run) {
  ASSERT_EQ(run.records.size(), run.plan.requests.size());
  int64_t out_sum = 0, in_sum = 0;
  for (size_t i = 0; i < run.records.size(); ++i) {
    const bench::PlannedRequest& p = run.plan.requests[i];
    const bench::RequestRecord& r = run.records[i];
    SCOPED_TRACE("request " + std::to_string(i));
    ASSERT_TRUE(r.success) << r.error;
    EXPECT_EQ(r.http_status, 200);
    EXPECT_TRUE(r.usage_reported);
    EXPECT_EQ(r.output_tokens, p.eos_after);  // the server stopped at eos_after
    EXPECT_EQ(r.finish_reason, "stop");
    EXPECT_GE(r.text_chunks, 1);
    EXPECT_LE(r.text_chunks, r.output_tokens);  // a chunk carries one token or more
    EXPECT_EQ(r.itls_s.size(), static_cast<size_t>(r.text_chunks - 1));
    EXPECT_GT(r.ttft_s, 0);
    EXPECT_LE(r.ttft_s, r.e2el_s);
    EXPECT_GE(r.send_s, p.send_offset_s);
    for (double g : r.itls_s) EXPECT_GE(g, 0);
    out_sum += r.output_tokens;
    in_sum += bench::InputTokens(p, r);
  }
  const bench::BenchSummary& s = run.summary;
  EXPECT_EQ(s.completed, static_cast<int64_t>(run.records.size()));
  EXPECT_EQ(s.failed, 0);
  EXPECT_EQ(s.total_output_tokens, out_sum);
  EXPECT_EQ(s.total_input_tokens, in_sum);
  EXPECT_GT(s.duration_s, 0);
  EXPECT_DOUBLE_EQ(s.request_throughput, s.completed / s.duration_s);
  EXPECT_DOUBLE_EQ(s.output_throughput, out_sum / s.duration_s);
  EXPECT_LE(s.ttft.mean_ms, s.e2el.mean_ms);
}

TEST(BenchClientTest, CompletionsWorkloadAgainstARealServer) {
  TestServer srv;
  auto run = bench::RunBenchmark(SyntheticTrace(0, 200), Options(srv.port(), 6));
  ASSERT_TRUE(run.ok()) << run.status().message();
  EXPECT_EQ(run->model, srv.server().model().name);
  EXPECT_EQ(run->max_context, kContext);  // max_model_len from /v1/models
  ASSERT_TRUE(run->probe);
  EXPECT_TRUE(run->probe->record.success);
  EXPECT_EQ(run->probe->record.output_tokens, 40);
  EXPECT_EQ(run->probe->short_tokens, 8);
  // TBT targets are 4 / 8 / 16 x the probe's decode step, when it measured one.
  EXPECT_EQ(run->slo.tbt_s.has_value(), run->probe->decode_step_ms.has_value());
  if (run->slo.tbt_s) {
    EXPECT_NEAR((*run->slo.tbt_s)[0], 4 * *run->probe->decode_step_ms / 1e3, 1e-12);
  }
  ASSERT_EQ(run->records.size(), 6u);
  ExpectConsistent(*run);
  for (size_t i = 0; i < run->records.size(); ++i) {
    // With token-id prompts the server counts exactly what was sent.
    EXPECT_EQ(run->records[i].prompt_tokens_reported, run->plan.requests[i].prompt_tokens);
  }

  const nlohmann::json j = bench::BenchResultJson(*run);
  EXPECT_EQ(j["completed"], 6);
  EXPECT_EQ(j["failed"], 0);
  EXPECT_EQ(j["total_output_tokens"], run->summary.total_output_tokens);
  EXPECT_TRUE(j["request_goodput"].is_null());
  for (const char* k :
       {"mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p95_ttft_ms", "p99_ttft_ms", "p99_tpot_ms", "p99_itl_ms",
        "p99_e2el_ms", "request_throughput", "output_throughput", "total_token_throughput", "duration",
        "cacheopt_ttft_slo_attainment", "cacheopt_tbt_slo_attainment", "cacheopt_slo_attainment"})
    EXPECT_TRUE(j.contains(k)) << k;
  ASSERT_EQ(j["requests"].size(), 6u);
  ASSERT_EQ(j["itls"].size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const nlohmann::json& r = j["requests"][i];
    EXPECT_EQ(r["output_tokens"], r["output_tokens_target"]);
    EXPECT_EQ(j["output_lens"][i], r["output_tokens"]);
    EXPECT_EQ(j["itls"][i].size(), r["itls_s"].size());
    EXPECT_EQ(r["error"], "");
  }
}

// real-experiment's client: with a cost profile (the server's solo-step
// refit), every request carries its own TTFT and TBT targets, the ones the
// simulator assigns it with that profile (AssignSlo with slo_cost), and its
// class, in the body the server parses (ttft_slo_ms, tbt_slo_ms, slo_class:
// the engine then schedules for exactly these, RealEngineTest.
// ExplicitTbtKeepsANamedClass).
TEST(BenchClientTest, SendsTheSimulatorsPerRequestSloTargets) {
  TestServer srv;
  const std::string profile_path = std::string(CACHEOPT_SOURCE_DIR) + "/tests/data/profile_small.json";
  bench::BenchOptions o = Options(srv.port(), 12);
  o.slo.cost_model = profile_path;
  auto run = bench::RunBenchmark(SyntheticTrace(0, 200), o);
  ASSERT_TRUE(run.ok()) << run.status().message();
  ExpectConsistent(*run);
  auto profile = ReadCpuCostProfile(profile_path);
  ASSERT_TRUE(profile.ok());
  const auto cost = MakeProfiledCostModel(*profile);
  std::set<int> classes;
  for (const bench::PlannedRequest& p : run->plan.requests) {
    RequestSpec spec;
    spec.prompt_tokens = p.prompt_tokens;
    spec.slo_class = static_cast<SloClass>(p.slo_class);
    AssignSlo(&spec, *cost, SloOptions{});
    EXPECT_DOUBLE_EQ(p.ttft_slo_ms, 1e3 * spec.ttft_slo_s);
    EXPECT_DOUBLE_EQ(p.tbt_slo_ms, 1e3 * spec.tbt_slo_s);
    const auto body = nlohmann::json::parse(bench::BuildRequestBody(p, bench::BodyOptions{}));
    EXPECT_DOUBLE_EQ(body.at("ttft_slo_ms").get<double>(), p.ttft_slo_ms);
    EXPECT_DOUBLE_EQ(body.at("tbt_slo_ms").get<double>(), p.tbt_slo_ms);
    EXPECT_EQ(body.at("slo_class"), bench::SloClassName(p.slo_class));
    classes.insert(p.slo_class);
  }
  EXPECT_GT(classes.size(), 1u);  // the targets differ by class, not one value for all
}

TEST(BenchClientTest, ChatIgnoreEosAndConcurrencyLimit) {
  TestServer srv;
  bench::BenchOptions chat = Options(srv.port(), 3);
  chat.endpoint = "/v1/chat/completions";
  chat.max_concurrency = 1;
  chat.goodput.e2el_ms = 1e9;  // every request is good
  auto a = bench::RunBenchmark(SyntheticTrace(0, 200), chat);
  ASSERT_TRUE(a.ok()) << a.status().message();
  ExpectConsistent(*a);
  EXPECT_DOUBLE_EQ(*a->summary.request_goodput, a->summary.request_throughput);

  bench::BenchOptions like_vllm = Options(srv.port(), 3);
  like_vllm.plan.ignore_eos = true;
  like_vllm.plan.rate_rps = std::numeric_limits<double>::infinity();
  like_vllm.probe = false;
  like_vllm.slo.tbt_ms = "100";
  auto b = bench::RunBenchmark(SyntheticTrace(0, 200), like_vllm);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_FALSE(b->probe);
  ExpectConsistent(*b);
  for (const bench::PlannedRequest& p : b->plan.requests) {
    EXPECT_EQ(p.max_tokens, p.eos_after);
    EXPECT_EQ(p.send_offset_s, 0.0);
  }
}

TEST(BenchClientTest, ServerErrorsAreNamed) {
  ServerOptions o = TinyOptions();
  o.api_key = "secret";
  TestServer srv(o);
  auto no_key = bench::RunBenchmark(SyntheticTrace(0, 50), Options(srv.port(), 2));
  ASSERT_FALSE(no_key.ok());
  EXPECT_THAT(no_key.status().message(),
              HasSubstr("GET http://127.0.0.1:" + std::to_string(srv.port()) + "/v1/models"));
  EXPECT_THAT(no_key.status().message(), HasSubstr("HTTP 401"));
  EXPECT_THAT(no_key.status().message(), HasSubstr("API key"));

  bench::BenchOptions wrong_model = Options(srv.port(), 2);
  wrong_model.api_key = "secret";
  wrong_model.model = "gpt-4";
  auto w = bench::RunBenchmark(SyntheticTrace(0, 50), wrong_model);
  ASSERT_FALSE(w.ok());
  EXPECT_THAT(w.status().message(), HasSubstr("does not serve model 'gpt-4'"));

  // A request the server refuses (prompt + max_tokens over its context)
  // fails the probe with the server's own message.
  bench::BenchOptions too_long = Options(srv.port(), 2);
  too_long.api_key = "secret";
  too_long.max_context = 2 * kContext;
  too_long.plan.length_scale = 1;
  auto t = bench::RunBenchmark(SyntheticTrace(0, 50), too_long);
  ASSERT_FALSE(t.ok());
  EXPECT_THAT(t.status().message(), HasSubstr("probe request"));
  EXPECT_THAT(t.status().message(), HasSubstr("HTTP 400"));
}

// Injected faults: hang-ups mid-stream and malformed bodies. Every
// malformed body gets a 4xx, no accepted request is lost, and once idle the
// server holds no request and no KV block.
TEST(BenchClientTest, InjectedFaultsAreAbsorbed) {
  TestServer srv;
  bench::BenchOptions o = Options(srv.port(), 40);
  o.plan.rate_rps = 40;
  o.faults.disconnect_fraction = 0.25;
  o.faults.malformed_fraction = 0.25;
  auto run = bench::RunBenchmark(SyntheticTrace(0, 200), o);
  ASSERT_TRUE(run.ok()) << run.status().message();
  const bench::Outcomes& oc = run->summary.outcomes;
  EXPECT_GT(oc.hung_up, 0);
  EXPECT_GT(oc.malformed_refused, 0);
  EXPECT_GT(oc.completed, 0);
  EXPECT_EQ(oc.malformed_other, 0);
  EXPECT_EQ(oc.lost, 0);
  EXPECT_EQ(oc.no_answer, 0);
  EXPECT_EQ(oc.server_errors, 0);
  EXPECT_EQ(oc.completed + oc.hung_up + oc.malformed_refused, 40);
  for (const auto& r : run->records) {
    if (r.fault == "malformed") {
      EXPECT_THAT(r.error, HasSubstr("HTTP 4"));
    }
  }
  // The server's books: every accepted request ended, every block is free.
  const int port = srv.port();
  for (int i = 0; i < 400 && serve_test::ScrapeMetric(port, "cacheopt_requests_open") != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  EXPECT_EQ(serve_test::ScrapeMetric(port, "cacheopt_requests_open"), 0);
  EXPECT_EQ(serve_test::ScrapeMetric(port, "vllm:num_requests_running"), 0);
  EXPECT_EQ(serve_test::ScrapeMetric(port, "vllm:kv_cache_usage_perc"), 0);
  const double ended = serve_test::ScrapeMetric(port, "vllm:request_success_total", "\"stop\"") +
                       serve_test::ScrapeMetric(port, "vllm:request_success_total", "\"length\"") +
                       serve_test::ScrapeMetric(port, "vllm:request_success_total", "\"abort\"");
  // The probe request was accepted too.
  EXPECT_EQ(serve_test::ScrapeMetric(port, "cacheopt_requests_accepted_total"), ended);
  EXPECT_GE(serve_test::ScrapeMetric(port, "vllm:request_success_total", "\"abort\""), 1);
}

// A port nothing listens on: bound (so nobody else takes it) but not
// listening, so a connection is refused.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~ClosedPort() { ::close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(BenchClientTest, UnreachableAndMalformedUrlsFailFast) {
  ClosedPort closed;
  auto run = bench::RunBenchmark(SyntheticTrace(0, 50), Options(closed.port(), 2));
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(run.status().message(),
              HasSubstr("cannot reach the server at http://127.0.0.1:" + std::to_string(closed.port())));
  EXPECT_THAT(run.status().message(), HasSubstr("connection refused"));

  bench::BenchOptions bad = Options(closed.port(), 2);
  bad.base_url = "127.0.0.1:8000";
  auto m = bench::RunBenchmark(SyntheticTrace(0, 50), bad);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("malformed --base-url '127.0.0.1:8000': no scheme"));
}

testing::CommandResult RunCli(const std::string& args) {
  return testing::RunCommand(std::string(CACHEOPT_BINARY) + " " + args + " 2>&1");
}

TEST(BenchClientTest, CliBadInputExitsWithTwo) {
  ClosedPort closed;
  const std::string url = "http://127.0.0.1:" + std::to_string(closed.port());
  auto unreachable = RunCli("bench --base-url " + url + " --dataset synthetic --rate 1 --num-prompts 2");
  EXPECT_EQ(unreachable.code, 2) << unreachable.output;
  EXPECT_THAT(unreachable.output, HasSubstr("error: cannot reach the server at " + url));
  auto malformed = RunCli("bench --base-url localhost:8000 --dataset synthetic --rate 1 --num-prompts 2");
  EXPECT_EQ(malformed.code, 2) << malformed.output;
  EXPECT_THAT(malformed.output, HasSubstr("malformed --base-url"));
  auto both = RunCli("bench --base-url " + url +
                     " --dataset synthetic --rate 1 --num-prompts 2 --burstiness 0.5 "
                     "--arrival-cv 2");
  EXPECT_EQ(both.code, 2) << both.output;
  auto dataset = RunCli("bench --base-url " + url + " --dataset nope --rate 1 --num-prompts 2");
  EXPECT_EQ(dataset.code, 2) << dataset.output;
  EXPECT_THAT(dataset.output, HasSubstr("unknown --dataset 'nope'; valid: azure_conv"));
  auto rate = RunCli("bench --base-url " + url + " --dataset synthetic --rate fast --num-prompts 2");
  EXPECT_EQ(rate.code, 2) << rate.output;
  EXPECT_THAT(rate.output, HasSubstr("--rate must be"));
}

}  // namespace
}  // namespace cacheopt
