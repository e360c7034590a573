#include "cacheopt/policy_registry.h"
#include "core/sched/scheduler.h"

#include <map>

#include <functional>

#include "cacheopt/util/names.h"
#include "core/sched/knobs.h"
#include "core/sched/policies/cacheopt.h"
#include "core/sched/policies/reserve_max.h"
#include "core/sched/policies/s3.h"
#include "core/sched/policies/sarathi.h"
#include "core/sched/policies/vllm_v0.h"
#include "core/sched/policies/vllm_v1.h"

namespace cacheopt {
namespace {

using Factory = std::function<Result<SchedulerPtr>(const SchedulerConfig&, const CostModel*)>;

struct PolicyEntry {
  const char* name;
  Factory make;
  std::vector<std::string> knobs;  // policy-specific, beyond the common ones
  // Knobs a server sets unless told otherwise: policies that predict output
  // lengths learn them from the prompts' text when served.
  std::map<std::string, std::string> serving;
  // Prefix caching: whether the policy offers it (knob `prefix_caching`,
  // 0 or 1) and its default, as upstream (docs/prefix-caching.md).
  bool offers_prefix_caching = false;
  bool prefix_caching_default = false;
  // Whether the policy reads the cost model's predictions (a real engine
  // can skip calibrating one for the others).
  bool reads_cost_model = false;
};

template <typename T>
Factory Make() {
  return [](const SchedulerConfig& c, const CostModel* m) -> Result<SchedulerPtr> {
    return SchedulerPtr(new T(c, m));
  };
}

const std::vector<PolicyEntry>& Registry() {
  static const std::vector<PolicyEntry> kPolicies = {
      {"vllm", Make<VllmV0Scheduler>(), {}, {}},
      // vLLM V1 enables automatic prefix caching by default (vllm/config/cache.py,
      // enable_prefix_caching).
      {"vllm-v1", Make<VllmV1Scheduler>(), {"reserve_full_prompt"}, {}, true, true},
      {"sarathi", Make<SarathiScheduler>(), {}, {}},
      // TensorRT-LLM reuses KV blocks by default (KvCacheConfig.enable_block_reuse
      // = True in its LLM API), under the GUARANTEED_NO_EVICT scheduler too.
      {"reserve-max", Make<ReserveMaxScheduler>(), {}, {}, true, true},
      // S3's paper has no prefix cache: offered for comparison, off by default.
      {"s3", MakeS3, {"estimator", "noise_spread", "prior_tokens"}, {{"estimator", "text"}}, true, false},
      // Prefix caching on by default: on the held-out prefix workloads
      // (experiments/prefix-heldout.json) it never cost capacity and doubled
      // it on one (docs/prefix-caching.md).
      {"cacheopt", MakeCacheOpt, CacheOptKnobNames(), {{"estimator", "text"}}, true, true, true},
  };
  return kPolicies;
}

// Knobs every policy reads through SchedulerConfig.
const std::vector<std::string> kCommonKnobs = {"max_num_seqs", "token_budget", "watermark"};

}  // namespace

std::vector<std::string> PolicyNames() {
  std::vector<std::string> names;
  for (const auto& e : Registry()) names.push_back(e.name);
  return names;
}

std::map<std::string, std::string> ServingKnobDefaults(std::string_view name) {
  for (const auto& e : Registry())
    if (name == e.name) return e.serving;
  return {};
}

bool PolicyReadsCostModel(std::string_view name) {
  for (const auto& e : Registry())
    if (name == e.name) return e.reads_cost_model;
  return true;  // unknown: assume it does
}

Result<SchedulerPtr> MakeScheduler(std::string_view name, const SchedulerConfig& config,
                                                 const CostModel* cost) {
  for (const auto& e : Registry()) {
    if (name != e.name) continue;
    std::vector<std::string> valid = kCommonKnobs;
    valid.insert(valid.end(), e.knobs.begin(), e.knobs.end());
    if (e.offers_prefix_caching) valid.push_back("prefix_caching");
    Status s = CheckKnobNames(config.knobs, valid, e.name);
    if (!s.ok()) return s;
    SchedulerConfig c = config;
    auto seqs = KnobInt(c.knobs, "max_num_seqs", c.max_num_seqs);
    if (!seqs.ok()) return seqs.status();
    auto budget = KnobInt(c.knobs, "token_budget", c.token_budget);
    if (!budget.ok()) return budget.status();
    auto wm = KnobDouble(c.knobs, "watermark", c.watermark);
    if (!wm.ok()) return wm.status();
    c.max_num_seqs = static_cast<int32_t>(*seqs);
    c.token_budget = static_cast<int32_t>(*budget);
    c.watermark = *wm;
    auto apc = KnobInt(c.knobs, "prefix_caching", e.prefix_caching_default ? 1 : 0);
    if (!apc.ok()) return apc.status();
    if (*apc != 0 && *apc != 1)
      return Status::InvalidArgument("knob prefix_caching must be 0 or 1, got " + c.knobs.at("prefix_caching"));
    c.prefix_caching = *apc == 1;
    // Unset is -1 (the policy's default); anything given is a fraction of the pool.
    if ((c.knobs.count("watermark") > 0 || c.watermark >= 0) && !(c.watermark >= 0 && c.watermark < 1))
      return Status::InvalidArgument("knob watermark must be a fraction in [0, 1) of the device blocks, got " +
                                     (c.knobs.count("watermark") > 0 ? c.knobs.at("watermark")
                                                                      : std::to_string(c.watermark)));
    if (c.device_blocks <= 0) return Status::InvalidArgument("the device KV pool has no blocks");
    if (c.block_size <= 0) return Status::InvalidArgument("block size must be positive");
    return e.make(c, cost);
  }
  return UnknownName("policy", name, PolicyNames());
}

}  // namespace cacheopt
