#include "trace/prefix_workloads.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "cacheopt/util/knob_list.h"
#include "cacheopt/util/names.h"
#include "cacheopt/util/short_number.h"
#include "trace/lognormal_length.h"
#include "trace/synthetic.h"

namespace cacheopt {
namespace {

constexpr std::string_view kSharedPrompts = "shared-prompts";
constexpr std::string_view kMultiTurn = "multi-turn";

Knobs SharedPromptKnobs() {
  return {{"prompts", {8, 1, 1e5}},            // distinct system prompts
          {"prompt_tokens", {1024, 1, 1e6}},   // each system prompt's length
          {"user_median", {200, 1, 1e6}},      // the request's own part (log-normal, mean 1.5x)
          {"output_median", {kSyntheticOutputMedian, 1, 1e6}},
          {"rate", {kSyntheticRateRps, 1e-6, 1e6}}};  // requests per second (Poisson)
}

Knobs MultiTurnKnobs() {
  return {{"turns", {4, 1, 1000}},             // turns per conversation
          {"think_s", {20, 0, 1e6}},           // from an answer to the next message
          {"new_share", {0.2, 0, 100}},        // new message = share x history so far (>= 1 token)
          {"first_median", {800, 1, 1e6}},     // the first message (log-normal, mean 1.5x)
          {"output_median", {kSyntheticOutputMedian, 1, 1e6}},
          {"rate", {0.5, 1e-6, 1e6}},          // new conversations per second (Poisson)
          {"decode_s", {0.02, 0, 10}}};        // per answer token, to place the next turn
}


// Log-normal lengths with a mean 1.5x the median.
int32_t DrawMedianLength(Rng& rng, double median) { return DrawLength(rng, FromMedianMean(median, 1.5 * median)); }

// Unit ids of a prompt whose first `kept` tokens repeat `history` (ids of
// earlier content) and whose rest is new: the units wholly inside the kept
// part keep their ids, every other unit gets a fresh one.
std::vector<int64_t> PromptIds(const std::vector<int64_t>& history, int64_t kept, int64_t prompt_tokens,
                               int64_t* next_id) {
  const int64_t units = (prompt_tokens + kGeneratedPrefixUnit - 1) / kGeneratedPrefixUnit;
  const int64_t reused = std::min<int64_t>(kept / kGeneratedPrefixUnit, static_cast<int64_t>(history.size()));
  std::vector<int64_t> ids(history.begin(), history.begin() + reused);
  while (static_cast<int64_t>(ids.size()) < units) ids.push_back((*next_id)++);
  return ids;
}

Trace SharedPrompts(const Knobs& k, uint64_t seed, int64_t rows) {
  Rng arrivals = Rng::Stream(seed, streams::kPrefixArrivals);
  Rng lengths = Rng::Stream(seed, streams::kPrefixLengths);
  const int32_t prompts = static_cast<int32_t>(k.at("prompts").value);
  const int64_t system = static_cast<int64_t>(k.at("prompt_tokens").value);
  // Each system prompt's units; fresh ids start past them all.
  std::vector<std::vector<int64_t>> sys(prompts);
  int64_t next_id = 0;
  for (auto& ids : sys)
    for (int64_t u = 0; u < system / kGeneratedPrefixUnit; ++u) ids.push_back(next_id++);
  Trace t;
  double now = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (i > 0) now += Exponential(arrivals, k.at("rate").value);
    TraceRow r;
    r.arrival_s = now;
    const int32_t p = static_cast<int32_t>(UniformInt(lengths, static_cast<uint64_t>(prompts)));
    const int64_t tokens = std::min<int64_t>(system + DrawMedianLength(lengths, k.at("user_median").value), 1 << 30);
    r.prompt_tokens = static_cast<int32_t>(tokens);
    r.output_tokens = DrawMedianLength(lengths, k.at("output_median").value);
    r.prefix_block_ids = PromptIds(sys[p], system, tokens, &next_id);
    r.line = i + 1;
    t.rows.push_back(std::move(r));
  }
  return t;
}

Trace MultiTurn(const Knobs& k, uint64_t seed, int64_t rows) {
  Rng arrivals = Rng::Stream(seed, streams::kPrefixArrivals);
  Rng lengths = Rng::Stream(seed, streams::kPrefixLengths);
  const int32_t turns = static_cast<int32_t>(k.at("turns").value);
  Trace t;
  int64_t next_id = 0;
  double start = 0;
  for (int64_t c = 0; static_cast<int64_t>(t.rows.size()) < rows; ++c) {
    if (c > 0) start += Exponential(arrivals, k.at("rate").value);
    std::vector<int64_t> history;  // ids of the conversation so far (prompts and answers)
    int64_t history_tokens = 0;
    double at = start;
    for (int32_t turn = 0; turn < turns && static_cast<int64_t>(t.rows.size()) < rows; ++turn) {
      const int64_t fresh = turn == 0 ? DrawMedianLength(lengths, k.at("first_median").value)
                                      : std::max<int64_t>(1, std::llround(k.at("new_share").value *
                                                                          static_cast<double>(history_tokens)));
      TraceRow r;
      r.arrival_s = at;
      const int64_t tokens = std::min<int64_t>(history_tokens + fresh, 1 << 30);
      r.prompt_tokens = static_cast<int32_t>(tokens);
      r.output_tokens = DrawMedianLength(lengths, k.at("output_median").value);
      const std::vector<int64_t> prompt = PromptIds(history, history_tokens, tokens, &next_id);
      // The answer follows the prompt in the next turn's history; the row
      // carries both, so the blocks its answer fills are the ones the next
      // prompt repeats.
      history = PromptIds(prompt, tokens, tokens + r.output_tokens, &next_id);
      history_tokens = tokens + r.output_tokens;
      r.prefix_block_ids = history;
      // Open loop: the next message comes a think time after a nominal answer.
      at += k.at("think_s").value + k.at("decode_s").value * r.output_tokens;
      t.rows.push_back(std::move(r));
    }
  }
  std::stable_sort(t.rows.begin(), t.rows.end(),
                   [](const TraceRow& a, const TraceRow& b) { return a.arrival_s < b.arrival_s; });
  const double first = t.rows.empty() ? 0 : t.rows.front().arrival_s;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    t.rows[i].arrival_s -= first;
    t.rows[i].line = static_cast<int64_t>(i) + 1;
  }
  return t;
}

}  // namespace

std::vector<std::string> PrefixWorkloadNames() { return {std::string(kSharedPrompts), std::string(kMultiTurn)}; }

bool IsPrefixWorkloadSpec(std::string_view ref) {
  const std::string_view name = ref.substr(0, ref.find(':'));
  return name == kSharedPrompts || name == kMultiTurn;
}

Result<Trace> PrefixWorkloadTrace(std::string_view spec, uint64_t seed, int64_t rows) {
  const size_t colon = spec.find(':');
  const std::string_view name = spec.substr(0, colon);
  const std::string_view list = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  Knobs knobs;
  if (name == kSharedPrompts) knobs = SharedPromptKnobs();
  else if (name == kMultiTurn) knobs = MultiTurnKnobs();
  else return UnknownName("prefix workload", name, PrefixWorkloadNames());
  if (Status s = ParseKnobList(name, list, &knobs); !s.ok()) return s;
  rows = std::max<int64_t>(rows, 1);
  Trace t = name == kSharedPrompts ? SharedPrompts(knobs, seed, rows) : MultiTurn(knobs, seed, rows);
  std::ostringstream src;
  src << name << "(seed=" << seed << ",rows=" << rows;
  for (const auto& [key, k] : knobs) src << "," << key << "=" << ShortNumber(k.value);
  src << ")";
  t.source = src.str();
  t.format = std::string(name);
  t.has_timestamps = true;
  t.prefix_block_tokens = kGeneratedPrefixUnit;
  t.prefix_ids_cover_output = name == kMultiTurn;
  return t;
}

}  // namespace cacheopt
