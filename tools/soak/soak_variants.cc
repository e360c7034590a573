#include "soak/soak_variants.h"

#include "cacheopt/cost/linear_cost_model.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/random/distributions.h"
#include "core/estimate/estimator.h"
#include "core/sched/scheduler.h"
#include "exec/sim/fixed_step_executor.h"

namespace cacheopt::soak {

std::vector<KnobAxis> CandidateAxes() {
  std::vector<KnobAxis> axes;
  axes.push_back({"estimator", EstimatorNames()});
  axes.push_back({"noise_spread", {"0", "0.2", "2"}});
  axes.push_back({"padding", {"conformal", "hoeffding"}});
  axes.push_back({"lending", {"peak", "pairwise", "off"}});
  axes.push_back({"disable",
                  {"padding", "lending", "proactive", "reserve", "victim", "strategy", "slo-batching",
                   "padding,lending,proactive,reserve,victim,strategy,slo-batching"}});
  axes.push_back({"alpha", {"0", "0.95", "1"}});
  axes.push_back({"preallocate_iterations", {"0", "8"}});
  axes.push_back({"reserve_blocks", {"0", "1", "64"}});
  axes.push_back({"lend_buffer_blocks", {"0", "64"}});
  axes.push_back({"max_preemptions", {"0", "10"}});
  axes.push_back({"min_prefill_chunk", {"1", "32"}});
  axes.push_back({"urgent_chunk", {"1", "64"}});
  axes.push_back({"late_last", {"0", "1"}});
  axes.push_back({"urgent_overcommit", {"0", "1"}});
  axes.push_back({"gap_guard", {"0", "1"}});
  axes.push_back({"prior_tokens", {"1", "4096"}});
  axes.push_back({"reserve_full_prompt", {"0", "1"}});
  axes.push_back({"prefix_caching", {"0", "1"}});
  axes.push_back({"watermark", {"0", "0.05"}});
  return axes;
}

namespace {

bool Accepts(const std::string& policy, const std::string& knob, const std::string& value) {
  SchedulerConfig c;
  c.block_size = 16;
  c.device_blocks = 64;
  c.host_blocks = 64;
  c.knobs[knob] = value;
  c.truth = [](int64_t) -> int32_t { return 1; };
  LinearCostModel cost;
  return MakeScheduler(policy, c, &cost).ok();
}

}  // namespace

std::vector<Variant> PolicyVariants(const std::string& policy) {
  std::vector<Variant> out;
  out.push_back({"default", {}, {}});
  std::vector<KnobAxis> accepted;
  for (const KnobAxis& axis : CandidateAxes()) {
    KnobAxis a{axis.knob, {}};
    for (const std::string& v : axis.values)
      if (Accepts(policy, axis.knob, v)) a.values.push_back(v);
    if (a.values.empty()) continue;
    if (a.knob == "estimator")
      for (const std::string& v : a.values) out.push_back({"estimator=" + v, {{a.knob, v}}, {}});
    accepted.push_back(std::move(a));
  }
  if (!accepted.empty()) {
    const size_t fixed = out.size();
    for (size_t i = 0; i < fixed; ++i) out.push_back({"mixed", {}, accepted});
  }
  return out;
}

std::map<std::string, std::string> DrawKnobs(const Variant& v, Rng& rng) {
  std::map<std::string, std::string> knobs = v.knobs;
  for (const KnobAxis& a : v.mixed_axes) {
    // Fixed draw count per axis, so one axis's values never shift another's.
    bool set = UniformInt(rng, 2) == 0;
    const std::string& value = a.values[UniformInt(rng, a.values.size())];
    if (set) knobs[a.knob] = value;
  }
  return knobs;
}

std::string KnobsString(const std::map<std::string, std::string>& knobs) {
  std::string s;
  for (const auto& [k, v] : knobs) s += (s.empty() ? "" : " ") + k + "=" + v;
  return s.empty() ? "-" : s;
}

}  // namespace cacheopt::soak
