// Replays a real engine's steps (a steps log, sim/steps_log.h) through a
// cost model and measures how far each step's prediction is from what the
// step took: the per-step error distribution the simulator's fidelity rests
// on (docs/real-engine.md). Also refits the CPU cost model to the serving
// steps themselves (the engine loop's time included), the "server as it
// runs" model, tuned on one part of the steps and checked on the rest.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/status.h"
#include "calibration/cpu_cost_profile.h"
#include "runtime/step_record.h"

namespace cacheopt {

// What a prediction is compared with.
enum class ReplayTarget {
  kCompute,  // the executor's work: copies, batch building, forward, sampling (what the online model observes)
  kStep,     // the whole Session::Step: plus scheduling and bookkeeping
  kLoop,     // one engine-loop iteration: the step plus the loop's time outside it (what a simulated step stands for)
};
const char* ToString(ReplayTarget t);
// "compute" | "step" | "loop"; InvalidArgument naming the valid ones otherwise.
Result<ReplayTarget> ParseReplayTarget(const std::string& s);

double MeasuredSeconds(const StepRecord& r, ReplayTarget t);

struct ErrorSummary {
  int64_t steps = 0;
  double p50 = 0, p95 = 0, max = 0;  // of |predicted / measured - 1|
  double median_signed = 0;          // of predicted / measured - 1 (< 0: the model is fast)
  double measured_ms = 0, predicted_ms = 0;  // means
};

struct CostReplayReport {
  ReplayTarget target = ReplayTarget::kLoop;
  ErrorSummary all, prefill, decode_only;  // prefill: steps with any prefill chunk
  // Mean seconds per step of each measured part, for the split table.
  double copy_s = 0, prepare_s = 0, forward_s = 0, sample_s = 0, schedule_s = 0, loop_s = 0;
};

// `block_size`: tokens per KV block of the engine that wrote the log.
CostReplayReport ReplaySteps(std::span<const StepRecord> steps, const CostModel& model, ReplayTarget target,
                             int block_size);

// Steps pooled from several runs, each predicted by its own model (a run's
// model scaled to the machine's speed then, calibration/speed_check.h).
struct ReplayPart {
  std::span<const StepRecord> steps;
  const CostModel* model = nullptr;
};
CostReplayReport ReplaySteps(std::span<const ReplayPart> parts, ReplayTarget target, int block_size);

// The machine's own step-to-step noise: each decode-only step without
// copies against the median of the steps of its shape in the same part (as
// many sequences, mean context in the same 16-token bucket; groups of at
// least 5), |error| = |group median / measured - 1| as ReplaySteps measures
// a prediction, pooled over the parts. An oracle that knew every shape's
// typical time would still be this far off: a floor for any model of the
// batch's shape alone (docs/real-engine.md). Parts are runs: one part of
// every run's steps gives the spread across runs too.
ErrorSummary SameShapeSpread(std::span<const std::span<const StepRecord>> parts, ReplayTarget target);

// Fits the CPU cost model's coefficients to `steps` against `target` (every
// step weighted alike, no forgetting); copy rate from the steps that copied.
std::unique_ptr<CpuCostModel> FitOnSteps(std::span<const StepRecord> steps, ReplayTarget target,
                                         int64_t kv_bytes_per_token, int block_size);

// The one refit rule for a profile (cost-replay --refit, and real-experiment's
// serving and solo profiles): `base` with its coefficients fitted to `steps`
// against `target` (FitOnSteps), its copy rate refitted when some step
// copied (kept otherwise), and its timed steps replaced by these (measured
// time less copies), so the refit can be redone or checked from the file.
// Shape, model and machine stay the base's.
CpuCostProfile RefitProfile(const CpuCostProfile& base, std::span<const StepRecord> steps, ReplayTarget target);

// The server's online model as its policy reads it after serving the steps
// of `compute_refit` (a RefitProfile against kCompute: what CpuExecutor
// observes): those coefficients, and the running p95 of measured /
// predicted (CpuCostModel::OverrunRatioP95, the same Robbins-Monro rule)
// taken over the same steps. For the simulator's policy (real-experiment).
std::unique_ptr<CpuCostModel> OnlineModelAfter(const CpuCostProfile& compute_refit);

std::string FormatCostReplay(const CostReplayReport& r, const std::string& title);

}  // namespace cacheopt
