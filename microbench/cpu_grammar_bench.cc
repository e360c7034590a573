// The cost of constrained decoding (response_format) on decode throughput:
// the real engine (vllm policy, CpuExecutor) on a generated model, N streams
// sampled at temperature 1: free; under json_object and a small schema (they
// end when the value closes, so fewer tokens and smaller batches at the end);
// and under an array of at least 10000 strings ("steady": every stream runs
// its full length, like "free"). Modes alternate; the median of --reps runs
// each. Decode rate: generated tokens after every stream's first, over the
// time from then to the end (prefill excluded).
//
//   build/cpu_grammar_bench [--model 15m] [--streams 8] [--tokens 128] [--reps 5] [--threads 1]
//                           [--temperature 1]
// (At temperature > 0 a mask also makes the softmax cheaper: exp of -inf is
// a fast path; --temperature 0 isolates the grammar's own cost.)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "model/random_model.h"
#include "runtime/real_engine.h"

namespace cacheopt {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  std::string model = "15m";
  int32_t streams = 8, tokens = 128, reps = 5, threads = 1;
  float temperature = 1.0f;
};

std::shared_ptr<const JsonSchema> SteadySchema() {
  auto items = std::make_shared<JsonSchema>();
  items->kind = JsonSchema::Kind::kString;
  auto s = std::make_shared<JsonSchema>();
  s->kind = JsonSchema::Kind::kArray;
  s->items = items;
  s->min_items = 10000;
  return s;
}

std::shared_ptr<const JsonSchema> StorySchema() {
  // {"title": string, "words": integer, "text": string}: long strings, a
  // few structural states.
  auto s = std::make_shared<JsonSchema>();
  s->kind = JsonSchema::Kind::kObject;
  auto str = std::make_shared<JsonSchema>();
  str->kind = JsonSchema::Kind::kString;
  auto num = std::make_shared<JsonSchema>();
  num->kind = JsonSchema::Kind::kInteger;
  s->properties = {{"title", str, true}, {"words", num, true}, {"text", str, true}};
  s->IndexKeys();
  return s;
}

// Seconds per generated token, and the tokens generated, for one run.
std::pair<double, int64_t> Run(RealEngine& e, const Args& a, std::shared_ptr<const JsonSchema> schema, uint64_t seed) {
  std::vector<int32_t> prompt = e.tokenizer().Encode("Once upon a time, in a quiet town, there", true, false);
  prompt.resize(std::min<size_t>(prompt.size(), 16));
  for (int32_t i = 0; i < a.streams; ++i) {
    SamplingParams p;
    p.temperature = a.temperature;
    p.seed = seed * 1000 + static_cast<uint64_t>(i);
    p.json_schema = schema;
    if (!schema) p.ignore_eos = true;
    auto id = e.Submit(prompt, p, a.tokens);
    if (!id.ok()) {
      std::fprintf(stderr, "%s\n", id.status().message().c_str());
      std::exit(1);
    }
  }
  // Decode only: from the moment every stream has its first token.
  std::set<int64_t> started;
  int64_t decoded = 0, generated = 0;
  Clock::time_point t0 = Clock::now();
  Status s = e.RunToCompletion([&](const RequestEvent& ev) {
    if (ev.tokens.empty()) return;
    generated += static_cast<int64_t>(ev.tokens.size());
    if (started.insert(ev.id).second) {
      if (static_cast<int32_t>(started.size()) == a.streams) t0 = Clock::now();
      return;
    }
    if (static_cast<int32_t>(started.size()) == a.streams) decoded += static_cast<int64_t>(ev.tokens.size());
  });
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    std::exit(1);
  }
  return {secs / static_cast<double>(std::max<int64_t>(decoded, 1)), generated};
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int Main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") a.model = v;
    else if (k == "--streams") a.streams = std::atoi(v.c_str());
    else if (k == "--tokens") a.tokens = std::atoi(v.c_str());
    else if (k == "--reps") a.reps = std::atoi(v.c_str());
    else if (k == "--threads") a.threads = std::atoi(v.c_str());
    else if (k == "--temperature") a.temperature = static_cast<float>(std::atof(v.c_str()));
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  auto model = MakeRandomModel(a.model, 1);
  if (!model.ok()) {
    std::fprintf(stderr, "%s\n", model.status().message().c_str());
    return 1;
  }
  RealEngineOptions o;
  o.model.model = std::make_shared<const Model>(std::move(*model));
  o.policy = "vllm";
  o.threads = a.threads;
  o.calibrate.reps = 1;
  auto e = RealEngine::Create(o);
  if (!e.ok()) {
    std::fprintf(stderr, "%s\n", e.status().message().c_str());
    return 1;
  }
  const std::vector<std::pair<const char*, std::shared_ptr<const JsonSchema>>> modes = {
      {"free", nullptr}, {"steady", SteadySchema()}, {"json_object", AnyObjectSchema()}, {"json_schema", StorySchema()}};
  std::vector<std::vector<double>> per_token(modes.size());
  std::vector<int64_t> tokens(modes.size(), 0);
  (void)Run(**e, a, nullptr, 999);  // warm-up (the trie is built on first use below)
  (void)Run(**e, a, AnyObjectSchema(), 998);
  std::vector<int64_t> misses(modes.size(), 0);
  for (int r = 0; r < a.reps; ++r) {
    for (size_t m = 0; m < modes.size(); ++m) {
      const int64_t before = (*e)->executor().grammar_mask_misses();
      auto [t, n] = Run(**e, a, modes[m].second, static_cast<uint64_t>(r));
      per_token[m].push_back(t);
      tokens[m] += n;
      misses[m] += (*e)->executor().grammar_mask_misses() - before;
    }
  }
  const double base = Median(per_token[0]);
  std::printf("model %s, %d streams x %d tokens, %d threads, temperature %g, median of %d runs\n", a.model.c_str(),
              a.streams, a.tokens, a.threads, static_cast<double>(a.temperature), a.reps);
  for (size_t m = 0; m < modes.size(); ++m) {
    const double t = Median(per_token[m]);
    std::printf("%-12s %8.1f tokens/s  %6.3f ms/token  %+6.1f%% vs free  (%lld tokens, %lld mask computations)\n",
                modes[m].first, 1.0 / t, t * 1e3, (t / base - 1) * 100, static_cast<long long>(tokens[m]),
                static_cast<long long>(misses[m]));
  }
  return 0;
}

}  // namespace
}  // namespace cacheopt

int main(int argc, char** argv) { return cacheopt::Main(argc, argv); }
