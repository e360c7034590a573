#include "sweep/plan.h"

#include <algorithm>

namespace cacheopt::experiment {
namespace {

void AddSection(std::vector<std::string>* sections, const std::string& s) {
  if (std::find(sections->begin(), sections->end(), s) == sections->end()) sections->push_back(s);
}

class Planner {
 public:
  explicit Planner(const ExperimentConfig& c) : c_(c) {}

  void Capacity(int setup, const Variant& v, const std::string& section) {
    std::string key = CapacityKey(setup, v);
    auto it = plan_.capacity_index.find(key);
    if (it == plan_.capacity_index.end()) {
      it = plan_.capacity_index.emplace(key, plan_.capacities.size()).first;
      plan_.capacities.push_back(CapacityPlanItem{setup, v, {}});
    }
    AddSection(&plan_.capacities[it->second].sections, section);
  }

  void Run(RunSpec spec, const std::string& section) {
    std::string key = spec.Key();
    auto it = plan_.run_index.find(key);
    if (it == plan_.run_index.end()) {
      it = plan_.run_index.emplace(key, plan_.runs.size()).first;
      plan_.runs.push_back(std::move(spec));
    }
    AddSection(&plan_.runs[it->second].sections, section);
  }

  // One run per seed.
  void Seeds(int setup, const Variant& v, double multiple, double slo_scale, const std::string& section,
             RateBasis basis = RateBasis::kReference) {
    for (uint64_t seed : c_.seeds) {
      RunSpec r;
      r.basis = basis;
      r.setup = setup;
      r.variant = v;
      r.seed = seed;
      r.multiple = multiple;
      r.slo_scale = slo_scale;
      r.requests = c_.setups[setup].requests;
      Run(std::move(r), section);
    }
  }

  std::vector<int> Setups(const std::vector<std::string>& names) const {
    std::vector<int> out;
    for (const auto& n : names) out.push_back(c_.FindSetup(n));
    return out;
  }

  Plan Build() {
    const Variant& ref = *c_.FindPolicy(c_.reference);
    const int n_setups = static_cast<int>(c_.setups.size());
    for (int s = 0; s < n_setups; ++s) Capacity(s, ref, "reference");
    if (c_.capacity.enabled)
      for (int s : Setups(c_.capacity.setups))
        for (const auto& label : c_.capacity.policies) Capacity(s, *c_.FindPolicy(label), "capacity");
    if (c_.ablation.enabled && c_.ablation.capacity) {
      for (int s : Setups(c_.ablation.setups)) {
        Capacity(s, *c_.FindPolicy(c_.ablation.base), "ablation");
        for (const auto& v : c_.ablation.variants) Capacity(s, v, "ablation");
      }
    }
    if (c_.ceilings.enabled)
      for (int s : Setups(c_.capacity.setups)) {
        for (const auto& v : c_.ceilings.unbounded) Capacity(s, v, "ceilings");
        for (const auto& v : c_.ceilings.oracles) Capacity(s, v, "ceilings");
      }
    if (c_.overload.enabled)
      for (int s : Setups(c_.overload.setups))
        for (const auto& label : c_.overload.policies) Capacity(s, *c_.FindPolicy(label), "overload");
    if (c_.equal_load.enabled)  // the best baseline is the best of the capacity policies
      for (int s : Setups(c_.equal_load.setups))
        for (const auto& label : c_.capacity.policies) Capacity(s, *c_.FindPolicy(label), "equal_load");
    if (c_.sensitivity.enabled && c_.sensitivity.capacity)
      for (int s : Setups(c_.sensitivity.setups))
        for (const auto& sw : c_.sensitivity.sweeps)
          for (const auto& v : sw.variants) Capacity(s, v, "sensitivity");

    for (int s = 0; s < n_setups; ++s)
      for (double m : kPressureMultiples) Seeds(s, ref, m, 1.0, "kv_pressure");
    if (c_.load_curves.enabled)
      for (int s : Setups(c_.load_curves.setups))
        for (const auto& label : c_.load_curves.policies)
          for (double m : c_.load_curves.multiples) Seeds(s, *c_.FindPolicy(label), m, 1.0, "load_curves");
    if (c_.anatomy.enabled)
      for (int s : Setups(c_.anatomy.setups))
        for (const auto& label : c_.anatomy.policies)
          Seeds(s, *c_.FindPolicy(label), c_.anatomy.multiple, 1.0, "anatomy");
    if (c_.ablation.enabled) {
      for (int s : Setups(c_.ablation.setups)) {
        for (double m : c_.ablation.load_multiples) {
          Seeds(s, *c_.FindPolicy(c_.ablation.base), m, 1.0, "ablation");
          for (const auto& v : c_.ablation.variants) Seeds(s, v, m, 1.0, "ablation");
        }
      }
    }
    if (c_.sensitivity.enabled)
      for (int s : Setups(c_.sensitivity.setups))
        for (const auto& sw : c_.sensitivity.sweeps)
          for (const auto& v : sw.variants)
            for (double m : c_.sensitivity.load_multiples) Seeds(s, v, m, 1.0, "sensitivity");
    if (c_.slo_scale.enabled)
      for (int s : Setups(c_.slo_scale.setups))
        for (const auto& label : c_.slo_scale.policies)
          for (double scale : c_.slo_scale.values)
            Seeds(s, *c_.FindPolicy(label), c_.slo_scale.load_multiple, scale, "slo_scale");
    if (c_.overload.enabled)
      for (int s : Setups(c_.overload.setups))
        for (const auto& label : c_.overload.policies)
          for (double m : c_.overload.multiples)
            Seeds(s, *c_.FindPolicy(label), m, 1.0, "overload", RateBasis::kOwnStall);
    if (c_.equal_load.enabled)
      for (int s : Setups(c_.equal_load.setups))
        for (const auto& label : c_.equal_load.policies)
          Seeds(s, *c_.FindPolicy(label), 1.0, 1.0, "equal_load", RateBasis::kBestBaseline);
    if (c_.scale.enabled) {
      const ScaleSpec& sc = c_.scale;
      int s = c_.FindSetup(sc.setup);
      for (const auto& label : sc.policies) {
        auto timed = [&](int64_t requests, int64_t blocks) {
          RunSpec r;
          r.setup = s;
          r.variant = *c_.FindPolicy(label);
          r.seed = sc.seed;
          r.multiple = sc.load_multiple;
          r.requests = requests;
          r.kv_device_blocks = blocks;
          r.timed = true;
          Run(std::move(r), "scale");
        };
        for (int64_t n : sc.requests) timed(n, -1);
        for (int64_t b : sc.pool_blocks) timed(c_.setups[s].requests, b);
      }
    }
    return std::move(plan_);
  }

 private:
  const ExperimentConfig& c_;
  Plan plan_;
};

}  // namespace

Plan MakePlan(const ExperimentConfig& config) { return Planner(config).Build(); }

}  // namespace cacheopt::experiment
