#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>

#include "bench_flags.h"
#include "cacheopt/util/names.h"
#include "loadgen/bench_result_json.h"
#include "loadgen/bench_table.h"
#include "loadgen/runner.h"
#include "sim/shared_dir.h"
#include "sweep/trace_catalog.h"

namespace cacheopt {
namespace {

// As commands.h's BadInput (not included here: see bench_flags.h).
int BadInput(const Status& s) {
  std::cerr << "error: " << s.message() << "\n";
  return 2;
}

Result<double> ParseRate(const std::string& text) {
  char* end = nullptr;
  const double r = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !(r > 0))
    return Status::InvalidArgument("--rate must be requests/s > 0, or inf (every request at once); got '" + text + "'");
  return r;
}

Status ParseTokenRange(const std::string& text, int32_t* lo, int32_t* hi) {
  const Status bad =
      Status::InvalidArgument("--prompt-token-range expects LO:HI with 0 <= LO < HI, got '" + text + "'");
  const size_t colon = text.find(':');
  if (colon == std::string::npos) return bad;
  char* end = nullptr;
  const std::string a = text.substr(0, colon), b = text.substr(colon + 1);
  const long l = std::strtol(a.c_str(), &end, 10);
  if (a.empty() || *end != '\0') return bad;
  const long h = std::strtol(b.c_str(), &end, 10);
  if (b.empty() || *end != '\0') return bad;
  if (l < 0 || h <= l || h > INT32_MAX) return bad;
  *lo = static_cast<int32_t>(l);
  *hi = static_cast<int32_t>(h);
  return Status::Ok();
}

// --dataset NAME or --trace PATH -> the trace, with its name for the result.
Result<Trace> LoadWorkloadTrace(const BenchFlags& f, int64_t num_prompts, std::string* name) {
  if (f.dataset.empty() == f.trace.empty())
    return Status::InvalidArgument("give one of --dataset NAME (" + JoinNames(experiment::TraceNames()) +
                                   ") or --trace PATH");
  const std::vector<std::string> names = experiment::TraceNames();
  std::string dataset = f.dataset;
  std::replace(dataset.begin(), dataset.end(), '-', '_');  // azure-conv is azure_conv
  if (!dataset.empty() && std::find(names.begin(), names.end(), dataset) == names.end())
    return UnknownName("--dataset", f.dataset, names);
  *name = dataset.empty() ? f.trace : dataset;
  auto path = experiment::ResolveTracePath(*name, FindSharedDir());
  if (!path.ok()) return path.status();
  // The synthetic trace holds twice the requests asked, as experiments do.
  return experiment::LoadResolvedTrace(*path, std::max<int64_t>(2000, 2 * num_prompts));
}

}  // namespace

void AddBenchFlags(CLI::App* app, BenchFlags* f) {
  app->add_option("--base-url", f->base_url, "The server, e.g. http://127.0.0.1:8000")->required();
  auto* dataset = app->add_option("--dataset", f->dataset, "A named trace from ../shared/data, or synthetic");
  auto* trace = app->add_option("--trace", f->trace, "A trace file (Azure CSV, Vidur CSV or JSONL)");
  dataset->excludes(trace);
  app->add_option("--rate", f->rate, "Mean request rate, requests/s; inf sends every request at once")->required();
  app->add_option("--num-prompts", f->num_prompts, "Requests to send")->required();
  auto* burst = app->add_option("--burstiness", f->burstiness,
                                "Gamma shape of the arrival gaps (vLLM's: 1 is Poisson, smaller is burstier)");
  auto* cv = app->add_option("--arrival-cv", f->arrival_cv,
                             "Coefficient of variation of the arrival gaps (Gamma; 1 is Poisson)");
  burst->excludes(cv);
  app->add_option("--seed", f->seed, "Seed: rows, arrivals, SLO classes, prompt token ids")->capture_default_str();
  app->add_option("--goodput", f->goodput, "vLLM's goodput SLOs, KEY:MS pairs: ttft:MS tpot:MS e2el:MS");
  app->add_option("--save-result", f->save_result, "Write the result (vLLM's fields and per-request data) as JSON");
  app->add_option("--model", f->model, "Model name to send (default: the first one of GET /v1/models)");
  app->add_option("--endpoint", f->endpoint, "/v1/completions, or /v1/chat/completions (prompts as words)")
      ->capture_default_str();
  app->add_flag("--ignore-eos", f->ignore_eos,
                "Send vLLM's ignore_eos and max_tokens = the trace's output length (servers without eos_after)");
  app->add_option("--length-scale", f->length_scale, "Divide the trace's prompt and output lengths by this")
      ->capture_default_str();
  app->add_option("--max-context", f->max_context, "The model's context (default: max_model_len from the server)");
  app->add_option("--max-concurrency", f->max_concurrency, "Requests in flight at most (default: unlimited)");
  app->add_option("--api-key", f->api_key, "Send 'Authorization: Bearer KEY' (also $OPENAI_API_KEY)")
      ->envname("OPENAI_API_KEY");
  app->add_option("--prompt-token-range", f->prompt_token_range, "Prompt token ids are drawn from [LO, HI)")
      ->capture_default_str();
  app->add_option("--ttft-slo-ms", f->ttft_slo_ms, "TTFT SLO, ms: one value or TIGHT:MEDIUM:LOOSE (default 1000)");
  app->add_option("--tbt-slo-ms", f->tbt_slo_ms,
                  "TBT SLO, ms: one value or TIGHT:MEDIUM:LOOSE (default: 4/8/16 x the solo decode step)");
  app->add_option("--solo-decode-ms", f->solo_decode_ms,
                  "The model's solo decode step, ms (default: measured by the probe)");
  app->add_option("--cost-model", f->cost_model,
                  "A CPU cost profile (`cacheopt profile`): each request's SLO targets as the simulator assigns them");
  app->add_option("--slo-scale", f->slo_scale, "Multiplies every SLO target")->capture_default_str();
  app->add_flag("--no-probe", f->no_probe, "Do not send the probe request alone before the run");
  app->add_option("--timeout", f->timeout, "Seconds a request may wait for the server's next bytes")
      ->capture_default_str();
  app->add_option("--time-limit", f->time_limit,
                  "Seconds from the first send after which nothing more is sent and open requests are abandoned "
                  "(counted as failed); 0: none")
      ->capture_default_str();
  app->add_option("--disconnect-fraction", f->disconnect_fraction,
                  "Fault injection: this share of requests hang up after 1-16 text chunks")
      ->capture_default_str();
  app->add_option("--malformed-fraction", f->malformed_fraction,
                  "Fault injection: this share of requests send a malformed body (a 4xx is expected)")
      ->capture_default_str();
  app->add_flag("--quiet", f->quiet, "No progress or setup lines on stderr");
}

int RunBenchCommand(const BenchFlags& f) {
  using namespace bench;
  BenchOptions o;
  o.base_url = f.base_url;
  o.endpoint = f.endpoint;
  o.model = f.model;
  o.api_key = f.api_key;
  o.max_context = f.max_context;
  o.max_concurrency = f.max_concurrency;
  o.probe = !f.no_probe;
  o.read_timeout_s = f.timeout;
  if (f.time_limit < 0) return BadInput(Status::InvalidArgument("--time-limit must be >= 0 seconds (0: none)"));
  if (f.time_limit > 0) o.time_limit_s = f.time_limit;
  const auto fraction = [](double v) { return v >= 0 && v <= 1; };
  if (!fraction(f.disconnect_fraction) || !fraction(f.malformed_fraction) ||
      f.disconnect_fraction + f.malformed_fraction > 1)
    return BadInput(Status::InvalidArgument(
        "--disconnect-fraction and --malformed-fraction must be in [0, 1] and sum to at most 1"));
  o.faults.disconnect_fraction = f.disconnect_fraction;
  o.faults.malformed_fraction = f.malformed_fraction;
  if (!(f.timeout > 0)) return BadInput(Status::InvalidArgument("--timeout must be > 0 seconds"));
  if (f.num_prompts < 1) return BadInput(Status::InvalidArgument("--num-prompts must be >= 1"));
  if (f.max_context < 0) return BadInput(Status::InvalidArgument("--max-context must be >= 1"));
  if (f.max_concurrency < 0) return BadInput(Status::InvalidArgument("--max-concurrency must be >= 1"));

  auto rate = ParseRate(f.rate);
  if (!rate.ok()) return BadInput(rate.status());
  o.plan.rate_rps = *rate;
  auto arrival = ArrivalFromFlags(std::isnan(f.burstiness) ? std::nullopt : std::optional<double>(f.burstiness),
                                  std::isnan(f.arrival_cv) ? std::nullopt : std::optional<double>(f.arrival_cv));
  if (!arrival.ok()) return BadInput(arrival.status());
  o.plan.arrival = *arrival;
  o.plan.length_scale = f.length_scale;
  o.plan.num_requests = f.num_prompts;
  o.plan.seed = f.seed;
  o.plan.ignore_eos = f.ignore_eos;
  if (Status s = ParseTokenRange(f.prompt_token_range, &o.plan.token_lo, &o.plan.token_hi); !s.ok()) return BadInput(s);
  auto goodput = ParseGoodput(f.goodput);
  if (!goodput.ok()) return BadInput(goodput.status());
  o.goodput = *goodput;
  o.slo.ttft_ms = f.ttft_slo_ms;
  o.slo.tbt_ms = f.tbt_slo_ms;
  o.slo.solo_decode_ms = f.solo_decode_ms;
  o.slo.cost_model = f.cost_model;
  o.slo.slo_scale = f.slo_scale;
  // Check the SLO flags now, not after the probe.
  if (auto slo = ResolveSloTargets(o.slo, std::nullopt, nullptr); !slo.ok()) return BadInput(slo.status());

  auto trace = LoadWorkloadTrace(f, f.num_prompts, &o.workload_name);
  if (!trace.ok()) return BadInput(trace.status());
  o.log = f.quiet ? nullptr : &std::cerr;
  o.redraw = isatty(STDERR_FILENO) != 0;

  // A server that closes a connection while a request is being written
  // must fail that request, not end the process (cpp-httplib sends without
  // MSG_NOSIGNAL).
  ::signal(SIGPIPE, SIG_IGN);
  auto run = RunBenchmark(*trace, o);
  if (!run.ok()) return BadInput(run.status());
  std::cout << FormatResultTable(*run) << std::flush;
  if (run->summary.failed > 0) {
    std::cerr << "bench: " << run->summary.failed << " of " << run->records.size() << " requests failed:\n"
              << FormatErrors(*run);
  }
  if (!f.save_result.empty()) {
    if (Status s = WriteBenchResult(*run, f.save_result); !s.ok()) {
      std::cerr << "error: " << s.message() << "\n";
      return 1;
    }
    if (!f.quiet) std::cerr << "bench: result written to " << f.save_result << "\n";
  }
  return run->summary.completed == 0 ? 1 : 0;
}

}  // namespace cacheopt
