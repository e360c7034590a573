#include "sim/workload.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <span>
#include <sstream>
#include <utility>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"
#include "cacheopt/util/short_number.h"

namespace cacheopt {
namespace {

Status CheckOptions(const Trace& trace, const WorkloadOptions& opts, ArrivalKind kind) {
  if (!(opts.rate_rps > 0) || !std::isfinite(opts.rate_rps)) {
    return Status::InvalidArgument("arrival rate must be a finite number > 0 req/s, got " +
                                   ShortNumber(opts.rate_rps));
  }
  if (opts.max_context <= 0 || (opts.clip_prompts && opts.max_context < 2)) {
    return Status::InvalidArgument("max_context must be > 0, got " +
                                   std::to_string(opts.max_context));
  }
  if (kind == ArrivalKind::kGamma && (!(opts.arrival_cv > 0) || !std::isfinite(opts.arrival_cv))) {
    return Status::InvalidArgument("gamma arrivals need a coefficient of variation > 0, got " +
                                   ShortNumber(opts.arrival_cv));
  }
  if (kind == ArrivalKind::kReplay && !trace.has_timestamps) {
    return Status::InvalidArgument("replay needs a trace with timestamps; " + trace.source + " (" +
                                   trace.format +
                                   ") has lengths only: use poisson or gamma arrivals");
  }
  return Status::Ok();
}

// Indices of the rows whose prompt + output fit the context, in trace order
// (every row when prompts are clipped to fit).
std::vector<size_t> RowsThatFit(const Trace& trace, int32_t max_context, bool clip) {
  std::vector<size_t> kept;
  kept.reserve(trace.rows.size());
  for (size_t i = 0; i < trace.rows.size(); ++i) {
    const TraceRow& r = trace.rows[i];
    if (clip || int64_t{r.prompt_tokens} + r.output_tokens <= max_context) kept.push_back(i);
  }
  return kept;
}

// The prompt a row replays as: cut to leave room for its output when asked
// (at least one token of prompt; an output longer than the context is then
// cut to max_tokens like any other).
int32_t PromptThatFits(const TraceRow& r, int32_t max_context, bool clip) {
  if (!clip || int64_t{r.prompt_tokens} + r.output_tokens <= max_context) return r.prompt_tokens;
  return std::max(1, std::min(r.prompt_tokens, max_context - r.output_tokens));
}

int SloIndex(const std::string& name, int drawn) {
  if (name == "tight") return 0;
  if (name == "medium") return 1;
  if (name == "loose") return 2;
  return drawn;
}

}  // namespace

Result<Workload> BuildWorkload(const Trace& trace, const WorkloadOptions& opts) {
  const ArrivalKind kind =
      opts.arrival.value_or(trace.has_timestamps ? ArrivalKind::kReplay : ArrivalKind::kPoisson);
  if (Status st = CheckOptions(trace, opts, kind); !st.ok()) return st;

  if (trace.rows.empty()) return Status::InvalidArgument(trace.source + ": the trace has no rows");
  Workload w;
  std::vector<size_t> rows = RowsThatFit(trace, opts.max_context, opts.clip_prompts);
  w.dropped_over_context = static_cast<int64_t>(trace.rows.size() - rows.size());
  w.rows_available = static_cast<int64_t>(rows.size());
  if (rows.empty()) {
    return Status::InvalidArgument(
        trace.source + ": no rows left: all " + std::to_string(trace.rows.size()) +
        " have prompt + output > max_context " + std::to_string(opts.max_context));
  }
  const int64_t n =
      opts.num_requests > 0 ? std::min(opts.num_requests, w.rows_available) : w.rows_available;

  std::ostringstream desc;
  desc << trace.format << " trace " << trace.source << ": " << trace.rows.size() << " rows, "
       << w.dropped_over_context << " over context " << opts.max_context << " dropped, "
       << w.rows_available << " left; ";
  if (opts.num_requests > w.rows_available) {
    desc << opts.num_requests << " requests asked, only " << w.rows_available
         << " available: using all; ";
  }

  // Which rows, in which order.
  Rng select_rng = Rng::Stream(opts.seed, streams::kWorkloadWindow);
  if (trace.has_timestamps) {
    const uint64_t starts = static_cast<uint64_t>(w.rows_available - n + 1);
    const size_t start = static_cast<size_t>(UniformInt(select_rng, starts));
    rows.erase(rows.begin() + static_cast<std::ptrdiff_t>(start + n), rows.end());
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(start));
    desc << "window of " << n << " rows at lines " << trace.rows[rows.front()].line << "-"
         << trace.rows[rows.back()].line << " (start " << start << " of " << starts << ", seed "
         << opts.seed << "); ";
  } else {
    Shuffle(select_rng, std::span<size_t>(rows));
    rows.resize(static_cast<size_t>(n));
    desc << n << " rows in an order shuffled by seed " << opts.seed << "; ";
  }

  // When they arrive.
  std::vector<double> arrivals;
  Rng arrival_rng = Rng::Stream(opts.seed, streams::kWorkloadArrivals);
  switch (kind) {
    case ArrivalKind::kReplay: {
      std::vector<double> recorded;
      recorded.reserve(rows.size());
      for (size_t i : rows) recorded.push_back(trace.rows[i].arrival_s);
      Result<std::vector<double>> scaled = ReplayArrivals(recorded, opts.rate_rps);
      if (!scaled.ok())
        return Status::InvalidArgument(trace.source + ": " + scaled.status().message());
      arrivals = std::move(*scaled);
      desc << "replay";
      if (n > 1) {
        const double recorded_rate = (n - 1) / (recorded.back() - recorded.front());
        desc << " time-scaled from " << ShortNumber(recorded_rate) << " req/s";
      }
      desc << " to";
      break;
    }
    case ArrivalKind::kPoisson:
      arrivals = PoissonArrivals(arrival_rng, n, opts.rate_rps);
      desc << "poisson arrivals at";
      break;
    case ArrivalKind::kGamma:
      arrivals = GammaArrivals(arrival_rng, n, opts.rate_rps, opts.arrival_cv);
      desc << "gamma arrivals (cv " << ShortNumber(opts.arrival_cv) << ") at";
      break;
  }
  desc << " " << ShortNumber(opts.rate_rps) << " req/s";

  // Caps and SLO classes.
  Rng slo_rng = Rng::Stream(opts.seed, streams::kWorkloadSlo);
  w.requests.reserve(rows.size());
  for (size_t k = 0; k < rows.size(); ++k) {
    const TraceRow& r = trace.rows[rows[k]];
    WorkloadRequest q;
    q.id = static_cast<int64_t>(k);
    q.arrival_s = arrivals[k];
    q.prompt_tokens = PromptThatFits(r, opts.max_context, opts.clip_prompts);
    w.clipped_to_context += q.prompt_tokens < r.prompt_tokens;
    const int32_t room = opts.max_context - q.prompt_tokens;  // >= 1; >= output unless clipped
    q.max_tokens = r.max_tokens > 0 ? std::min(r.max_tokens, room) : room;
    if (opts.max_tokens_cap > 0) q.max_tokens = std::min(q.max_tokens, opts.max_tokens_cap);
    q.output_tokens = std::min(r.output_tokens, q.max_tokens);
    w.truncated_to_max_tokens += r.output_tokens > q.max_tokens;
    // Drawn for every request, used or not, so rows carrying a class do not
    // shift the draws of the rows after them.
    q.slo_class = SloIndex(r.slo_class, static_cast<int>(UniformInt(slo_rng, 3)));
    if (!r.prefix_block_ids.empty()) {
      q.prefix_ids = std::make_shared<const std::vector<int64_t>>(r.prefix_block_ids);
      q.prefix_unit = trace.prefix_block_tokens;
      q.prefix_covers_output = trace.prefix_ids_cover_output && q.prompt_tokens == r.prompt_tokens;
    }
    assert(k == 0 || q.arrival_s >= w.requests.back().arrival_s);
    w.requests.push_back(q);
  }
  if (w.clipped_to_context > 0) {
    desc << "; " << w.clipped_to_context << " prompts clipped to fit context " << opts.max_context;
  }
  if (w.truncated_to_max_tokens > 0) {
    desc << "; " << w.truncated_to_max_tokens << " outputs cut to max_tokens";
  }
  w.description = desc.str();
  return w;
}

}  // namespace cacheopt
