// `cacheopt cost-replay --steps-log FILE --cost-model PROFILE`: how well a CPU
// cost profile predicts the steps a real engine took (serve/generate
// --steps-log): the per-step error distribution, the measured split, and
// with --refit OUT the cost model refitted to the serving steps themselves
// (tuned on the first half of the log, checked on the second half).
#include <cstdio>
#include <iostream>

#include "calibration/cost_replay.h"
#include "calibration/cpu_cost_profile.h"
#include "commands.h"
#include "sim/steps_log.h"

namespace cacheopt {

void AddCostReplayFlags(CLI::App* app, CostReplayFlags* f) {
  app->add_option("--steps-log", f->steps_log, "A real engine's steps log (serve/generate --steps-log)")->required();
  app->add_option("--cost-model", f->cost_model, "CPU cost profile (cacheopt profile --out) of the same model")
      ->required();
  app->add_option("--target", f->target,
                  "What predictions are compared with: loop (step + engine loop), step (Session::Step) or "
                  "compute (the executor's work)")
      ->capture_default_str();
  app->add_option("--refit", f->refit,
                  "Fit the cost model to the log's first half against --target, report both models on the "
                  "second half, and write the refitted profile here (for simulate --cost-model)");
}

int RunCostReplay(const CostReplayFlags& f) {
  auto target = ParseReplayTarget(f.target);
  if (!target.ok()) return BadInput(target.status());
  auto profile = ReadCpuCostProfile(f.cost_model);
  if (!profile.ok()) return BadInput(profile.status());
  auto steps = ReadRealStepsLog(f.steps_log);
  if (!steps.ok()) return BadInput(steps.status());
  const auto model = MakeProfiledCostModel(*profile);
  const int block = profile->block_size;
  std::cout << FormatCostReplay(ReplaySteps(*steps, *model, *target, block),
                                "profile " + f.cost_model + " on " + f.steps_log);
  // What no model of the batch's shape can beat on this log.
  const std::vector<std::span<const StepRecord>> one = {*steps};
  const ErrorSummary floor = SameShapeSpread(one, *target);
  if (floor.steps == 0) {
    std::printf("same-shape spread: n/a (no decode shape has 5 steps in this log)\n");
  } else {
    std::printf("same-shape spread (decode steps against their shape's median, %lld steps): p50 %.1f%%, p95 %.1f%%\n",
                static_cast<long long>(floor.steps), 100 * floor.p50, 100 * floor.p95);
  }
  if (f.refit.empty()) return 0;

  if (steps->size() < 8) return BadInput(Status::InvalidArgument(f.steps_log + ": --refit needs at least 8 steps"));
  const size_t half = steps->size() / 2;
  std::span<const StepRecord> tune(steps->data(), half), check(steps->data() + half, steps->size() - half);
  const CpuCostProfile out = RefitProfile(*profile, tune, *target);
  const auto refit = MakeProfiledCostModel(out);
  std::cout << "\nheld-out second half (" << check.size() << " steps), tuned on the first " << half << ":\n";
  std::cout << FormatCostReplay(ReplaySteps(check, *model, *target, block), "profile as measured idle");
  std::cout << FormatCostReplay(ReplaySteps(check, *refit, *target, block), "refitted on serving steps");
  if (Status s = WriteCpuCostProfile(out, f.refit); !s.ok()) return BadInput(s);
  const auto& k = out.coeffs;
  std::printf("refit: step = %.4g ms + %.4g us/token + %.4g ns/attention pair + %.4g us/sequence + %.4g ns/KV token "
              "read; wrote %s\n",
              k[0] * 1e3, k[1] * 1e6, k[2] * 1e9, k[3] * 1e6, k[4] * 1e9, f.refit.c_str());
  return 0;
}

}  // namespace cacheopt
