// What scraping GET /metrics costs a serving OpenAI server, over HTTP
// (issue 5: "/metrics is cheap enough to scrape every 50 ms: p99 under 5 ms,
// with no visible effect on step time at 20 scrapes per second").
//
//   build/metrics_scrape_bench [--clients 16] [--seconds 10] [--rate 20] [--rounds 1] [--warmup 2]
//                              [--max-tokens 128] [--threads 0] [--model PATH | --random-model tiny]
//
// An in-process cacheopt::Server on 127.0.0.1 (any free port) serves
// stories260K from ../shared (else a random-weight `tiny`, said in the
// output). `--clients` threads each POST streaming /v1/completions requests
// back to back ("Once upon a time", max_tokens 128, temperature 0,
// ignore_eos) and time the gap between consecutive SSE token chunks. After a
// warm-up, three back-to-back phases of `--seconds` each, repeated `--rounds`
// times in rotated order (A B C, B C A, C A B, ...: interleaved, so slow
// drift in the machine's other load, and a phase's place in the round, hit
// every mode alike):
//   A  no scraper (baseline);
//   B  a scraper GETting /metrics `--rate` times per second on one keep-alive
//      connection (as Prometheus does);
//   C  the same with a new connection per scrape (connect included).
// Scrapes are due on a fixed schedule (start + k / rate), not back to back;
// a scrape's latency runs from sending the request to having the whole body.
// Per phase: the client-side inter-token gaps (mean, p99), and the engine's
// own view from the /metrics deltas between the phase's ends (read once at
// each end, also in A): vllm:inter_token_latency_seconds' sum / count, the
// mean time between a request's consecutive tokens on the engine clock,
// i.e. the mean engine step interval while every running request decodes a
// token per step; vllm:generation_tokens_total per second; and this
// process's CPU (server + clients + scraper) from getrusage.
//
// The numbers depend on the machine and its other load: the output starts
// with nproc and the load average, and ends with the load average again.
#include <httplib.h>
#include <sys/resource.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "cacheopt/metrics/percentile.h"
#include "server/server.h"
#include "sim/shared_dir.h"

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;
double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Flags {
  int clients = 16;
  double seconds = 10;
  double rate = 20;
  int rounds = 1;
  double warmup = 2;
  int max_tokens = 128;
  int threads = 0;
  std::string model;         // a checkpoint path
  std::string random_model;  // a random_model.h config
};

std::string ReadFirstLine(const std::string& path, const std::string& key = "") {
  std::ifstream f(path);
  std::string line;
  while (std::getline(f, line))
    if (key.empty() || line.rfind(key, 0) == 0) return key.empty() ? line : line.substr(line.find(':') + 2);
  return "?";
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

// ---- the server ----

// The server on its own thread, as tests/serve_test.cc's TestServer.
class BenchServer {
 public:
  explicit BenchServer(ServerOptions o) : server_(std::move(o)) {}
  ~BenchServer() { Finish(); }
  Status Start() {
    Status s = server_.Bind();
    if (!s.ok()) return s;
    thread_ = std::thread([this] {
      run_status_ = server_.Run();
      run_returned_.store(true);
    });
    while (!server_.ready() && !run_returned_.load()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (!server_.ready()) {
      thread_.join();
      return run_status_.ok() ? Status::IoError("the server stopped before it was ready") : run_status_;
    }
    return Status::Ok();
  }
  void Finish() {
    if (!thread_.joinable()) return;
    server_.Drain(/*force=*/true);
    thread_.join();
  }
  int port() const { return server_.port(); }
  const Server& server() const { return server_; }

 private:
  Server server_;
  std::thread thread_;
  std::atomic<bool> run_returned_{false};
  Status run_status_;  // Run's, once run_returned_
};

// ---- the load: streaming clients ----

struct Gap {
  Clock::time_point at;  // when the later chunk arrived
  double ms;
};

struct ClientLog {
  std::vector<Gap> gaps;
  int64_t requests = 0;  // finished with 200
  int64_t errors = 0;    // anything else (stopping mid-request excluded)
};

std::string CompletionBody(int max_tokens) {
  return R"({"prompt": "Once upon a time", "max_tokens": )" + std::to_string(max_tokens) +
         R"(, "temperature": 0, "ignore_eos": true, "stream": true})";
}

// Streaming requests back to back until `stop`, on one keep-alive connection.
void ClientLoop(int port, const std::string& body, const std::atomic<bool>& stop, ClientLog* log) {
  httplib::Client c("127.0.0.1", port);
  c.set_keep_alive(true);
  c.set_tcp_nodelay(true);
  c.set_read_timeout(std::chrono::seconds(120));
  while (!stop.load(std::memory_order_relaxed)) {
    std::string buf;
    bool have_last = false;
    Clock::time_point last;
    httplib::Request req;
    req.method = "POST";
    req.path = "/v1/completions";
    req.body = body;
    req.set_header("Content-Type", "application/json");
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      const Clock::time_point now = Clock::now();
      buf.append(data, n);
      size_t pos = 0;
      for (size_t end; (end = buf.find("\n\n", pos)) != std::string::npos; pos = end + 2) {
        const std::string_view ev(buf.data() + pos, end - pos);
        // Token chunks only: not [DONE], not the finish chunk (its
        // finish_reason is set; it comes with the last token's).
        if (ev.rfind("data: ", 0) != 0 || ev == "data: [DONE]") continue;
        if (ev.find("\"finish_reason\":null") == std::string_view::npos) continue;
        if (have_last) log->gaps.push_back({now, Ms(now - last)});
        last = now;
        have_last = true;
      }
      buf.erase(0, pos);
      return !stop.load(std::memory_order_relaxed);
    };
    auto r = c.send(req);
    if (stop.load(std::memory_order_relaxed)) break;
    if (r && r->status == 200) {
      ++log->requests;
    } else {
      ++log->errors;
      if (log->errors <= 3)
        std::fprintf(stderr, "client: %s\n",
                     r ? ("HTTP " + std::to_string(r->status) + ": " + r->body).c_str()
                       : httplib::to_string(r.error()).c_str());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

// ---- /metrics ----

struct Snapshot {
  bool ok = false;
  double itl_sum = 0, itl_count = 0, generation_tokens = 0;
  size_t bytes = 0;
};

// The value of the first sample of metric `name` (the line starts with name, then "{" or " ").
double Sample(const std::string& text, const std::string& name) {
  for (size_t pos = 0; pos < text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    const std::string_view line(text.data() + pos, eol - pos);
    const bool match = line.rfind(name, 0) == 0 && line.size() > name.size() &&
                       (line[name.size()] == '{' || line[name.size()] == ' ');
    if (match) {
      const size_t sp = line.rfind(' ');
      return std::strtod(std::string(line.substr(sp + 1)).c_str(), nullptr);
    }
    pos = eol + 1;
  }
  return std::nan("");
}

Snapshot ReadMetrics(int port) {
  httplib::Client c("127.0.0.1", port);
  c.set_tcp_nodelay(true);
  auto r = c.Get("/metrics");
  Snapshot s;
  if (!r || r->status != 200) return s;
  s.itl_sum = Sample(r->body, "vllm:inter_token_latency_seconds_sum");
  s.itl_count = Sample(r->body, "vllm:inter_token_latency_seconds_count");
  s.generation_tokens = Sample(r->body, "vllm:generation_tokens_total");
  s.bytes = r->body.size();
  s.ok = !std::isnan(s.itl_sum) && !std::isnan(s.itl_count) && !std::isnan(s.generation_tokens);
  return s;
}

// ---- phases ----

enum class Mode { kNone = 0, kKeepAlive = 1, kNewConnection = 2 };
constexpr int kModes = 3;
const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kNone:
      return "A none";
    case Mode::kKeepAlive:
      return "B keep-alive";
    default:
      return "C new conn";
  }
}

struct Phase {
  Mode mode = Mode::kNone;
  int round = 0;
  Clock::time_point start, end;
  Snapshot s0, s1;
  double cpu0 = 0, cpu1 = 0;
  std::vector<double> scrape_ms;
  size_t body_bytes = 0;
  int64_t scrape_errors = 0;
  int64_t late = 0;  // scrapes that began more than 5 ms after they were due
  // Filled after the run.
  std::vector<double> gaps_ms;
};

void Scraper(int port, double rate, Phase* ph, httplib::Client* keep_alive) {
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
  for (int64_t k = 0;; ++k) {
    const Clock::time_point due = ph->start + k * period;
    if (due >= ph->end) break;
    std::this_thread::sleep_until(due);
    const Clock::time_point t0 = Clock::now();
    if (t0 - due > std::chrono::milliseconds(5)) ++ph->late;
    std::unique_ptr<httplib::Client> fresh;
    if (keep_alive == nullptr) {
      fresh = std::make_unique<httplib::Client>("127.0.0.1", port);
      fresh->set_tcp_nodelay(true);
    }
    const httplib::Result r = (keep_alive != nullptr ? keep_alive : fresh.get())->Get("/metrics");
    const Clock::time_point t1 = Clock::now();
    if (r && r->status == 200 && !r->body.empty()) {
      ph->scrape_ms.push_back(Ms(t1 - t0));
      ph->body_bytes = r->body.size();
    } else {
      ++ph->scrape_errors;
    }
  }
}

void RunPhase(int port, double seconds, double rate, Phase* ph) {
  std::unique_ptr<httplib::Client> keep_alive;
  if (ph->mode == Mode::kKeepAlive) {
    keep_alive = std::make_unique<httplib::Client>("127.0.0.1", port);
    keep_alive->set_keep_alive(true);
    keep_alive->set_tcp_nodelay(true);
    (void)keep_alive->Get("/health");  // connected before the first scrape, as a long-lived scraper is
  }
  ph->s0 = ReadMetrics(port);
  ph->cpu0 = CpuSeconds();
  ph->start = Clock::now();
  ph->end = ph->start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  std::thread scraper;
  if (ph->mode != Mode::kNone) scraper = std::thread(Scraper, port, rate, ph, keep_alive.get());
  std::this_thread::sleep_until(ph->end);
  if (scraper.joinable()) scraper.join();
  ph->cpu1 = CpuSeconds();
  ph->s1 = ReadMetrics(port);
}

// ---- summaries ----

struct StreamStats {
  double gap_mean = 0, gap_p99 = 0;
  double engine_itl_ms = std::nan("");
  double tok_s = std::nan("");
  double cpu_pct = 0;
  size_t gaps = 0;
};

StreamStats Summarize(const std::vector<const Phase*>& phases) {
  StreamStats st;
  std::vector<double> gaps;
  double itl_sum = 0, itl_count = 0, tokens = 0, wall = 0, cpu = 0;
  bool engine_ok = true;
  for (const Phase* p : phases) {
    gaps.insert(gaps.end(), p->gaps_ms.begin(), p->gaps_ms.end());
    if (p->s0.ok && p->s1.ok) {
      itl_sum += p->s1.itl_sum - p->s0.itl_sum;
      itl_count += p->s1.itl_count - p->s0.itl_count;
      tokens += p->s1.generation_tokens - p->s0.generation_tokens;
    } else {
      engine_ok = false;
    }
    const double w = std::chrono::duration<double>(p->end - p->start).count();
    wall += w;
    cpu += p->cpu1 - p->cpu0;
  }
  st.gaps = gaps.size();
  st.gap_mean = Mean(gaps);
  st.gap_p99 = Percentile(gaps, 99);
  if (engine_ok && itl_count > 0) st.engine_itl_ms = 1e3 * itl_sum / itl_count;
  if (engine_ok && wall > 0) st.tok_s = tokens / wall;
  st.cpu_pct = wall > 0 ? 100 * cpu / wall : 0;
  return st;
}

std::string Rel(double x, double base) {
  if (std::isnan(x) || std::isnan(base) || base == 0) return "";
  char b[32];
  std::snprintf(b, sizeof b, "(%+.1f%%)", 100 * (x - base) / base);
  return b;
}

void PrintRow(const char* label, double a, double b, double c, const char* fmt) {
  char va[32], vb[32], vc[32];
  std::snprintf(va, sizeof va, fmt, a);
  std::snprintf(vb, sizeof vb, fmt, b);
  std::snprintf(vc, sizeof vc, fmt, c);
  std::printf("  %-24s %12s %12s %-9s %12s %-9s\n", label, va, vb, Rel(b, a).c_str(), vc, Rel(c, a).c_str());
}

int Usage(const char* argv0) {
  std::fprintf(stderr,
               "usage: %s [--clients N] [--seconds S] [--rate SCRAPES_PER_S] [--rounds N] [--warmup S]\n"
               "          [--max-tokens N] [--threads N] [--model PATH | --random-model CONFIG]\n",
               argv0);
  return 2;
}

int Main(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    try {
      if (a == "--clients") {
        f.clients = std::stoi(val());
      } else if (a == "--seconds") {
        f.seconds = std::stod(val());
      } else if (a == "--rate") {
        f.rate = std::stod(val());
      } else if (a == "--rounds") {
        f.rounds = std::stoi(val());
      } else if (a == "--warmup") {
        f.warmup = std::stod(val());
      } else if (a == "--max-tokens") {
        f.max_tokens = std::stoi(val());
      } else if (a == "--threads") {
        f.threads = std::stoi(val());
      } else if (a == "--model") {
        f.model = val();
      } else if (a == "--random-model") {
        f.random_model = val();
      } else {
        return Usage(argv[0]);
      }
    } catch (const std::exception&) {
      std::fprintf(stderr, "bad value for %s\n", a.c_str());
      return 2;
    }
  }
  if (f.clients < 1 || !(f.seconds > 0) || !(f.rate > 0) || f.rounds < 1 || f.warmup < 0 || f.max_tokens < 2 ||
      f.threads < 0 || (!f.model.empty() && !f.random_model.empty()))
    return Usage(argv[0]);

  ServerOptions o;
  std::string model_note;
  if (!f.model.empty()) {
    o.engine.model.path = f.model;
    model_note = f.model;
  } else if (!f.random_model.empty()) {
    o.engine.model.generate_config = f.random_model;
    model_note = "random-weight " + f.random_model + " (--random-model)";
  } else {
    const std::string shared = FindSharedDir();
    const std::filesystem::path stories =
        std::filesystem::path(shared) / "models" / "stories260K" / "stories260K.bin";
    std::error_code ec;
    if (!shared.empty() && std::filesystem::is_regular_file(stories, ec)) {
      o.engine.model.path = stories.string();
      model_note = stories.string() + " (../shared's stories260K)";
    } else {
      o.engine.model.generate_config = "tiny";
      model_note = "random-weight tiny (no ../shared/models/stories260K; set CACHEOPT_SHARED or pass --model PATH)";
    }
  }
  o.engine.threads = f.threads;
  o.port = 0;
  o.max_concurrency = std::max(64, f.clients);
  o.grace_period_s = 0;
  o.log = [](const std::string&) {};

  std::printf("metrics_scrape_bench: nproc %u, %s\n", std::thread::hardware_concurrency(),
              ReadFirstLine("/proc/cpuinfo", "model name").c_str());
  std::printf("load average at the start: %s\n", ReadFirstLine("/proc/loadavg").c_str());
  std::printf("model: %s\n", model_note.c_str());
  std::printf("load: %d streaming clients, max_tokens %d, ignore_eos; phases of %.1f s x %d round(s) after %.1f s "
              "warm-up; scraper %.1f/s; engine threads %s\n",
              f.clients, f.max_tokens, f.seconds, f.rounds, f.warmup, f.rate,
              f.threads == 0 ? "all" : std::to_string(f.threads).c_str());
  std::fflush(stdout);

  const Clock::time_point load_t0 = Clock::now();
  BenchServer server(std::move(o));
  if (Status s = server.Start(); !s.ok()) {
    std::fprintf(stderr, "error: %s\n", s.message().c_str());
    return 1;
  }
  const int port = server.port();
  std::printf("server: 127.0.0.1:%d, model '%s', ready in %.2f s\n", port, server.server().model().name.c_str(),
              std::chrono::duration<double>(Clock::now() - load_t0).count());
  std::fflush(stdout);

  std::atomic<bool> stop{false};
  std::vector<ClientLog> logs(static_cast<size_t>(f.clients));
  std::vector<std::thread> clients;
  const std::string body = CompletionBody(f.max_tokens);
  for (int i = 0; i < f.clients; ++i)
    clients.emplace_back(ClientLoop, port, std::cref(body), std::cref(stop), &logs[static_cast<size_t>(i)]);

  std::this_thread::sleep_for(std::chrono::duration<double>(f.warmup));
  std::vector<Phase> phases;
  phases.reserve(static_cast<size_t>(f.rounds * kModes));
  for (int r = 0; r < f.rounds; ++r) {
    for (int i = 0; i < kModes; ++i) {
      Phase& ph = phases.emplace_back();
      ph.mode = static_cast<Mode>((i + r) % kModes);  // each mode takes each place in turn
      ph.round = r;
      RunPhase(port, f.seconds, f.rate, &ph);
    }
  }
  stop.store(true);
  for (std::thread& t : clients) t.join();
  server.Finish();

  int64_t requests = 0, errors = 0;
  for (const ClientLog& l : logs) {
    requests += l.requests;
    errors += l.errors;
    for (const Gap& g : l.gaps)
      for (Phase& ph : phases)
        if (g.at >= ph.start && g.at < ph.end) ph.gaps_ms.push_back(g.ms);
  }

  std::printf("\nper phase (client gap: time between a stream's consecutive SSE token chunks; engine ITL: "
              "/metrics' inter-token sum/count):\n");
  std::printf("  %5s %-13s %8s %12s %11s %14s %10s %9s\n", "round", "scraper", "gaps", "gap mean ms", "gap p99 ms",
              "engine ITL ms", "gen tok/s", "CPU %");
  for (const Phase& ph : phases) {
    const StreamStats st = Summarize({&ph});
    std::printf("  %5d %-13s %8zu %12.3f %11.3f %14.3f %10.1f %9.0f\n", ph.round + 1, ModeName(ph.mode), st.gaps,
                st.gap_mean, st.gap_p99, st.engine_itl_ms, st.tok_s, st.cpu_pct);
  }

  std::printf("\nscrape latency (request sent to whole body received), ms:\n");
  std::printf("  %-13s %6s %8s %8s %8s %8s %6s %7s %10s\n", "scraper", "n", "p50", "p90", "p99", "max", "late",
              "errors", "body bytes");
  double p99s[kModes] = {0, 0, 0};
  for (int m = 1; m < kModes; ++m) {
    std::vector<double> ms;
    int64_t late = 0, errs = 0;
    size_t bytes = 0;
    for (const Phase& ph : phases) {
      if (ph.mode != static_cast<Mode>(m)) continue;
      ms.insert(ms.end(), ph.scrape_ms.begin(), ph.scrape_ms.end());
      late += ph.late;
      errs += ph.scrape_errors;
      bytes = std::max(bytes, ph.body_bytes);
    }
    std::sort(ms.begin(), ms.end());
    p99s[m] = PercentileSorted(ms, 99);
    std::printf("  %-13s %6zu %8.3f %8.3f %8.3f %8.3f %6lld %7lld %10zu\n", ModeName(static_cast<Mode>(m)), ms.size(),
                PercentileSorted(ms, 50), PercentileSorted(ms, 90), p99s[m], ms.empty() ? 0.0 : ms.back(),
                static_cast<long long>(late), static_cast<long long>(errs), bytes);
  }

  StreamStats by_mode[kModes];
  for (int m = 0; m < kModes; ++m) {
    std::vector<const Phase*> ps;
    for (const Phase& ph : phases)
      if (ph.mode == static_cast<Mode>(m)) ps.push_back(&ph);
    by_mode[m] = Summarize(ps);
  }
  std::printf("\neffect on the streams (all rounds; relative to A):\n");
  std::printf("  %-24s %12s %12s %-9s %12s %-9s\n", "", "A none", "B keep-alive", "", "C new conn", "");
  const StreamStats &a = by_mode[0], &b = by_mode[1], &c = by_mode[2];
  PrintRow("client gap mean, ms", a.gap_mean, b.gap_mean, c.gap_mean, "%.3f");
  PrintRow("client gap p99, ms", a.gap_p99, b.gap_p99, c.gap_p99, "%.3f");
  PrintRow("engine ITL mean, ms", a.engine_itl_ms, b.engine_itl_ms, c.engine_itl_ms, "%.3f");
  PrintRow("generation tok/s", a.tok_s, b.tok_s, c.tok_s, "%.1f");
  PrintRow("process CPU, %", a.cpu_pct, b.cpu_pct, c.cpu_pct, "%.0f");
  if (f.rounds > 1) {
    double lo = 1e300, hi = 0;
    for (const Phase& ph : phases) {
      if (ph.mode != Mode::kNone) continue;
      const double v = Summarize({&ph}).engine_itl_ms;
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
    std::printf("  run-to-run noise: engine ITL mean over the %d A phases spans %.3f-%.3f ms (%.1f%%)\n", f.rounds,
                lo, hi, lo > 0 ? 100 * (hi - lo) / lo : 0.0);
  }
  std::printf("\nrequests: %lld finished, %lld failed\n", static_cast<long long>(requests),
              static_cast<long long>(errors));
  std::printf("target scrape p99 < 5 ms at %.0f/s: keep-alive %s (%.3f ms), new connection %s (%.3f ms)\n", f.rate,
              p99s[1] < 5 ? "MET" : "NOT MET", p99s[1], p99s[2] < 5 ? "MET" : "NOT MET", p99s[2]);
  std::printf("load average at the end: %s\n", ReadFirstLine("/proc/loadavg").c_str());
  return errors > 0 ? 1 : 0;
}

}  // namespace
}  // namespace cacheopt

int main(int argc, char** argv) { return cacheopt::Main(argc, argv); }
