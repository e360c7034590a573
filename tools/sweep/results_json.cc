#include "sweep/results_json.h"

#include <cmath>

#include "sweep/ceilings.h"
#include "sweep/metrics.h"

namespace cacheopt::experiment {
namespace {

Json Num(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json VariantJson(const Variant& v) {
  Json j;
  j["label"] = v.label;
  j["policy"] = v.policy;
  Json knobs = Json::object();
  for (const auto& [k, val] : v.knobs) knobs[k] = val;
  j["knobs"] = knobs;
  j["token_budget"] = v.token_budget;
  if (v.block_size > 0) j["block_size"] = v.block_size;
  if (v.kv_device_blocks > 0) j["kv_device_blocks"] = v.kv_device_blocks;
  return j;
}

Json Stat(const SeedStat& s) { return Json{{"mean", Num(s.mean)}, {"min", Num(s.min)}, {"max", Num(s.max)}, {"seeds", s.n}}; }

Json CapacityJson(const CapacityEstimate& e, const std::vector<uint64_t>& seeds) {
  Json j;
  j["capacity_rps"] = e.mean.max_rate_rps;
  j["below_range"] = e.mean.below_range;
  j["above_range"] = e.mean.above_range;
  j["seed_min_rps"] = e.min_rps;
  j["seed_max_rps"] = e.max_rps;
  Json per = Json::array();
  for (size_t i = 0; i < e.per_seed.size(); ++i)
    per.push_back({{"seed", seeds[i]},
                   {"capacity_rps", e.per_seed[i].max_rate_rps},
                   {"below_range", e.per_seed[i].below_range},
                   {"above_range", e.per_seed[i].above_range}});
  j["per_seed"] = per;
  Json probes = Json::array();
  for (const auto& p : e.mean.probes)
    probes.push_back({{"rate_rps", p.rate_rps},
                      {"ttft_attainment", p.ttft_attainment},
                      {"tbt_attainment", p.tbt_attainment},
                      {"ok", p.ok}});
  j["probes"] = probes;
  return j;
}

}  // namespace

Json ResultsJson(const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  Json j;
  j["name"] = c.name;
  j["description"] = c.description;
  j["command"] = r.command;
  j["shared_dir"] = r.shared_dir;
  j["seeds"] = c.seeds;
  j["capacity_search"] = {{"lo_rps", c.capacity.lo_rps},
                          {"hi_rps", c.capacity.hi_rps},
                          {"rel_width", c.capacity.rel_width},
                          {"target", c.capacity.target},
                          {"capacity_rps", "seed mean: the highest rate at which the mean over seeds of TTFT "
                                           "attainment and of TBT attainment both stay >= target"},
                          {"seed_min_rps/seed_max_rps", "min/max over seeds of each seed's own capacity (the "
                                                        "same search on that seed alone)"}};
  j["config"] = c.raw;

  Json setups = Json::array();
  for (size_t s = 0; s < r.setups.size(); ++s) {
    const SetupRecord& rec = r.setups[s];
    const SetupSpec& sp = rec.spec;
    Json o;
    o["name"] = sp.name;
    o["model"] = sp.model;
    o["gpu"] = sp.gpu;
    o["tp"] = sp.tp;
    o["trace"] = sp.trace;
    o["trace_source"] = rec.trace_source;
    o["trace_format"] = rec.trace_format;
    o["arrival"] = sp.arrival ? std::string(ArrivalKindName(*sp.arrival))
                              : std::string(rec.trace_timestamps ? "replay" : "poisson");
    if (sp.arrival == ArrivalKind::kGamma) o["arrival_cv"] = sp.arrival_cv;
    o["requests"] = sp.requests;
    o["rows_available"] = rec.rows_available;
    o["dropped_over_context"] = rec.dropped_over_context;
    o["clipped_to_context"] = rec.clipped_to_context;
    o["block_size"] = rec.block_size;
    o["device_blocks"] = rec.device_blocks;
    o["host_blocks"] = rec.host_blocks;
    o["kv_capacity_tokens"] = rec.kv_capacity_tokens;
    o["kv_bytes_per_token"] = rec.kv_bytes_per_token;
    o["preemption_mode"] = sp.preemption_mode;
    o["slo_scale"] = sp.slo_scale;
    o["over_context"] = sp.over_context;
    o["notes"] = rec.notes;
    o["reference_capacity_rps"] = rec.reference_rps;
    KvPressure k = ComputeKvPressure(r, static_cast<int>(s));
    Json kp;
    kp["reference"] = c.reference;
    for (int i = 0; i < 2; ++i) {
      Json at;
      at["load_multiple"] = kPressureMultiples[i];
      at["peak_kv_use"] = Stat(k.peak_kv_use[i]);
      at["preemptions_per_1000"] = Stat(k.preemptions_per_1000[i]);
      kp["at"].push_back(at);
    }
    kp["kv_contended"] = k.contended;
    kp["known"] = k.known;
    o["kv_pressure"] = kp;
    if (c.ceilings.enabled) {
      Json ce;
      for (CapacityDefinition d : c.capacity.definitions) {
        const SetupCeiling sc = ComputeCeiling(r, static_cast<int>(s), d);
        Json at;
        at["kv_free_ceiling_rps"] = Num(sc.ceiling_rps);
        at["ceiling_policy"] = sc.ceiling_label;
        at["best_baseline_rps"] = Num(sc.best_baseline_rps);
        at["best_baseline"] = sc.best_baseline_label;
        at["headroom"] = Num(sc.headroom);
        Json frac = Json::object();
        for (size_t i = 0; i < c.capacity.policies.size(); ++i) frac[c.capacity.policies[i]] = Num(sc.fraction[i]);
        for (size_t i = 0; i < c.ceilings.oracles.size(); ++i)
          frac[c.ceilings.oracles[i].label] = Num(sc.oracle_fraction[i]);
        at["fraction_of_ceiling"] = frac;
        ce[DefinitionName(d)] = at;
      }
      o["ceilings"] = ce;
    }
    setups.push_back(o);
  }
  j["setups"] = setups;

  Json caps = Json::array();
  for (const auto& cap : r.capacities) {
    Json o;
    o["setup"] = c.setups[cap.setup].name;
    o["variant"] = VariantJson(cap.variant);
    o["sections"] = cap.sections;
    o["status"] = cap.status.ok() ? "ok" : cap.status.message();
    o["simulations"] = cap.simulations;
    o["device_blocks"] = cap.device_blocks;
    for (size_t i = 0; i < cap.estimates.size(); ++i)
      o[DefinitionName(cap.definitions[i])] = CapacityJson(cap.estimates[i], c.seeds);
    caps.push_back(o);
  }
  j["capacities"] = caps;

  Json runs = Json::array();
  for (size_t i = 0; i < r.runs.size(); ++i) {
    const RunRecord& run = r.runs[i];
    const RunSpec& s = run.spec;
    Json o;
    o["run"] = i;
    o["setup"] = c.setups[s.setup].name;
    o["variant"] = VariantJson(s.variant);
    o["seed"] = s.seed;
    o["load_multiple"] = s.multiple;
    o["rate_basis"] = s.basis == RateBasis::kOwnStall       ? "own stall-aware capacity"
                      : s.basis == RateBasis::kBestBaseline ? "best baseline's stall-aware capacity"
                                                            : "reference token-level capacity";
    o["slo_scale"] = s.slo_scale;
    o["requests"] = run.ok() ? run.workload_requests : s.requests;
    o["block_size"] = run.block_size;
    o["device_blocks"] = run.device_blocks;
    o["rate_rps"] = run.rate_rps;
    o["sections"] = s.sections;
    o["status"] = run.ok() ? "ok" : run.status.message();
    if (s.timed && run.ok()) {
      o["wall_s"] = run.wall_s;
      o["cpu_s"] = run.cpu_s;
    }
    if (run.ok()) {
      o["workload"] = run.workload_description;
      Json m;
      for (const auto& def : RunMetrics()) {
        double v = def.get(run);
        m[def.name] = def.integer ? Json(static_cast<int64_t>(std::llround(v))) : Num(v);
      }
      o["metrics"] = m;
    }
    runs.push_back(o);
  }
  j["runs"] = runs;
  return j;
}

}  // namespace cacheopt::experiment
