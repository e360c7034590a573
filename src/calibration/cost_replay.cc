#include "calibration/cost_replay.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <utility>

namespace cacheopt {
namespace {

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const double pos = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (pos - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

struct Acc {
  std::vector<double> abs, signed_err;
  double measured = 0, predicted = 0;
  void Add(double m, double p) {
    const double e = m > 0 ? p / m - 1 : 0;
    abs.push_back(std::fabs(e));
    signed_err.push_back(e);
    measured += m;
    predicted += p;
  }
  ErrorSummary Done() const {
    ErrorSummary s;
    s.steps = static_cast<int64_t>(abs.size());
    if (abs.empty()) return s;
    s.p50 = Quantile(abs, 0.5);
    s.p95 = Quantile(abs, 0.95);
    s.max = *std::max_element(abs.begin(), abs.end());
    s.median_signed = Quantile(signed_err, 0.5);
    s.measured_ms = 1e3 * measured / static_cast<double>(abs.size());
    s.predicted_ms = 1e3 * predicted / static_cast<double>(abs.size());
    return s;
  }
};

double Copies(const StepRecord& r) {
  return static_cast<double>(r.swap_out_blocks + r.swap_out_ahead_blocks + r.swap_in_blocks);
}

}  // namespace

const char* ToString(ReplayTarget t) {
  switch (t) {
    case ReplayTarget::kCompute:
      return "compute";
    case ReplayTarget::kStep:
      return "step";
    case ReplayTarget::kLoop:
      return "loop";
  }
  return "?";
}

Result<ReplayTarget> ParseReplayTarget(const std::string& s) {
  for (ReplayTarget t : {ReplayTarget::kCompute, ReplayTarget::kStep, ReplayTarget::kLoop})
    if (s == ToString(t)) return t;
  return Status::InvalidArgument("unknown replay target '" + s + "' (valid: compute, step, loop)");
}

double MeasuredSeconds(const StepRecord& r, ReplayTarget t) {
  const double compute = r.copy_s + r.prepare_s + r.forward_s + r.sample_s;
  switch (t) {
    case ReplayTarget::kCompute:
      return compute;
    case ReplayTarget::kStep:
      return r.wall_s;
    case ReplayTarget::kLoop:
      return r.wall_s + r.loop_s;
  }
  return compute;
}

CostReplayReport ReplaySteps(std::span<const StepRecord> steps, const CostModel& model, ReplayTarget target,
                             int block_size) {
  const ReplayPart one{steps, &model};
  return ReplaySteps(std::span<const ReplayPart>(&one, 1), target, block_size);
}

CostReplayReport ReplaySteps(std::span<const ReplayPart> parts, ReplayTarget target, int block_size) {
  CostReplayReport rep;
  rep.target = target;
  Acc all, prefill, decode;
  size_t count = 0;
  for (const ReplayPart& part : parts) {
    for (const StepRecord& r : part.steps) {
      const double m = MeasuredSeconds(r, target);
      const double p = part.model->StepTime(r.seqs) + part.model->SwapTime(r.swap_out_blocks + r.swap_out_ahead_blocks,
                                                                           r.swap_in_blocks, block_size);
      all.Add(m, p);
      (r.prefill_tokens() > 0 ? prefill : decode).Add(m, p);
      rep.copy_s += r.copy_s, rep.prepare_s += r.prepare_s, rep.forward_s += r.forward_s;
      rep.sample_s += r.sample_s, rep.schedule_s += r.schedule_s, rep.loop_s += r.loop_s;
      ++count;
    }
  }
  rep.all = all.Done();
  rep.prefill = prefill.Done();
  rep.decode_only = decode.Done();
  if (count > 0) {
    const double n = static_cast<double>(count);
    rep.copy_s /= n, rep.prepare_s /= n, rep.forward_s /= n, rep.sample_s /= n, rep.schedule_s /= n, rep.loop_s /= n;
  }
  return rep;
}

ErrorSummary SameShapeSpread(std::span<const std::span<const StepRecord>> parts, ReplayTarget target) {
  constexpr int64_t kContextBucket = 16;
  constexpr size_t kMinGroup = 5;
  Acc acc;
  for (std::span<const StepRecord> part : parts) {
    std::map<std::pair<size_t, int64_t>, std::vector<double>> groups;
    for (const StepRecord& r : part) {
      // Decodes only, and no copies: a model that sees swaps could do better there.
      if (r.seqs.empty() || r.prefill_tokens() > 0 || Copies(r) > 0) continue;
      int64_t context = 0;
      for (const SeqWork& w : r.seqs) context += w.context_before;
      const auto n = static_cast<int64_t>(r.seqs.size());
      groups[{r.seqs.size(), context / n / kContextBucket}].push_back(MeasuredSeconds(r, target));
    }
    for (const auto& [shape, times] : groups) {
      if (times.size() < kMinGroup) continue;
      const double median = Quantile(times, 0.5);
      for (double m : times) acc.Add(m, median);
    }
  }
  return acc.Done();
}

std::unique_ptr<CpuCostModel> FitOnSteps(std::span<const StepRecord> steps, ReplayTarget target,
                                         int64_t kv_bytes_per_token, int block_size) {
  auto m = std::make_unique<CpuCostModel>(kv_bytes_per_token, 1.0);
  for (const StepRecord& r : steps) {
    // Copies are fitted on their own: the step's compute excludes them.
    m->ObserveStep(r.seqs, std::max(0.0, MeasuredSeconds(r, target) - r.copy_s));
    if (Copies(r) > 0 && r.copy_s > 0) m->ObserveCopy(static_cast<int64_t>(Copies(r)), block_size, r.copy_s);
  }
  m->Fit();
  return m;
}

CpuCostProfile RefitProfile(const CpuCostProfile& base, std::span<const StepRecord> steps, ReplayTarget target) {
  const auto fit = FitOnSteps(steps, target, base.kv_bytes_per_token, base.block_size);
  CpuCostProfile out = base;
  out.coeffs = fit->coeffs();
  // Without a copy among the steps the fit holds only its default rate.
  const bool copied = std::any_of(steps.begin(), steps.end(), [](const StepRecord& r) {
    return Copies(r) > 0 && r.copy_s > 0;
  });
  if (copied) out.copy_bytes_per_s = fit->copy_bytes_per_s();
  out.steps.clear();
  for (const StepRecord& r : steps) out.steps.push_back({r.seqs, std::max(0.0, MeasuredSeconds(r, target) - r.copy_s)});
  return out;
}

std::unique_ptr<CpuCostModel> OnlineModelAfter(const CpuCostProfile& compute_refit) {
  auto m = MakeProfiledCostModel(compute_refit);
  // Observing moves only the overrun estimate here: the coefficients change
  // at Fit, which is not called.
  for (const CpuProfileStep& s : compute_refit.steps) m->ObserveStep(s.seqs, s.seconds);
  return m;
}

std::string FormatCostReplay(const CostReplayReport& r, const std::string& title) {
  std::string out = title + " (measured: " + ToString(r.target) + ")\n";
  out += "steps          n    p50|err|  p95|err|  max|err|  median err  measured_ms  predicted_ms\n";
  char line[200];
  auto row = [&](const char* name, const ErrorSummary& s) {
    std::snprintf(line, sizeof(line), "%-12s %5lld  %7.1f%%  %7.1f%%  %7.1f%%  %+9.1f%%  %11.3f  %12.3f\n", name,
                  static_cast<long long>(s.steps), 100 * s.p50, 100 * s.p95, 100 * s.max, 100 * s.median_signed,
                  s.measured_ms, s.predicted_ms);
    out += line;
  };
  row("all", r.all);
  row("with prefill", r.prefill);
  row("decode only", r.decode_only);
  std::snprintf(line, sizeof(line),
                "mean split (ms/step): copy %.3f, prepare %.3f, forward %.3f, sample %.3f, schedule %.3f, loop %.3f\n",
                1e3 * r.copy_s, 1e3 * r.prepare_s, 1e3 * r.forward_s, 1e3 * r.sample_s, 1e3 * r.schedule_s,
                1e3 * r.loop_s);
  out += line;
  return out;
}

}  // namespace cacheopt
