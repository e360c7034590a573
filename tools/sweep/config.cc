#include "sweep/config.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "cacheopt/cost/gpu_spec.h"
#include "cacheopt/cost/model_spec.h"
#include "cacheopt/policy_registry.h"
#include "cacheopt/util/names.h"
#include "sim/cluster/router.h"
#include "sweep/trace_catalog.h"

namespace cacheopt::experiment {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

Status Bad(const std::string& path, const std::string& what) { return Status::InvalidArgument(path + ": " + what); }

#define RETURN_IF_ERROR(expr)        \
  do {                               \
    ::cacheopt::Status _s = (expr);  \
    if (!_s.ok()) return _s;         \
  } while (0)

const std::vector<std::string> kSetupKeys = {
    "name",       "model",          "gpu",        "tp",         "trace",
    "arrival",    "arrival_cv",     "requests",   "kv_device_blocks", "host_kv_gib",
    "preemption_mode", "block_size", "gpu_memory_utilization", "max_tokens_cap",
    "over_context", "slo_scale", "replicas", "router"};
const std::vector<std::string> kPolicyKeys = {"label", "policy", "knobs", "token_budget"};
const std::vector<std::string> kLoadKeys = {"multiples", "policies", "setups"};
const std::vector<std::string> kCapacityKeys = {"definitions", "lo_rps", "hi_rps", "rel_width",
                                                "target",      "policies", "setups"};
const std::vector<std::string> kAnatomyKeys = {"multiple", "policies", "setups"};
const std::vector<std::string> kAblationKeys = {"base", "knob", "switches", "variants",
                                                "load_multiples", "capacity", "setups"};
const std::vector<std::string> kAblationVariantKeys = {"name", "knobs"};
const std::vector<std::string> kSensitivityKeys = {"base", "sweeps", "load_multiples", "capacity", "setups"};
const std::vector<std::string> kSweepKeys = {"knob", "values", "with"};
const std::vector<std::string> kSloScaleKeys = {"values", "load_multiple", "policies", "setups"};
const std::vector<std::string> kOverloadKeys = {"multiples", "policies", "setups"};
const std::vector<std::string> kEqualLoadKeys = {"policies", "setups"};
const std::vector<std::string> kCeilingsKeys = {"kv_device_blocks", "oracle"};
const std::vector<std::string> kScaleKeys = {"setup", "policies", "requests", "pool_blocks", "load_multiple",
                                             "seed"};

std::string Idx(const std::string& key, size_t i) { return key + "[" + std::to_string(i) + "]"; }

Status ParseSetup(const Json& j, const std::string& where, const std::string& shared_dir, int64_t default_n,
                  SetupSpec* s) {
  RETURN_IF_ERROR(CheckObject(j, where, kSetupKeys));
  s->where = where;
  RETURN_IF_ERROR(GetString(j, where, "model", &s->model, true));
  if (auto m = FindModel(s->model); !m.ok()) return Bad(JoinPath(where, "model"), m.status().message());
  RETURN_IF_ERROR(GetString(j, where, "gpu", &s->gpu, true));
  if (auto g = FindGpu(s->gpu); !g.ok()) return Bad(JoinPath(where, "gpu"), g.status().message());
  int64_t tp = 1;
  RETURN_IF_ERROR(GetInt(j, where, "tp", 1, 64, &tp));
  s->tp = static_cast<int>(tp);
  RETURN_IF_ERROR(GetString(j, where, "trace", &s->trace, true));
  auto path = ResolveTracePath(s->trace, shared_dir);
  if (!path.ok()) return Bad(JoinPath(where, "trace"), path.status().message());
  s->trace_path = *path;
  std::string arrival;
  RETURN_IF_ERROR(GetChoice(j, where, "arrival", {"replay", "poisson", "gamma"}, &arrival));
  if (!arrival.empty()) s->arrival = *ParseArrivalKind(arrival);
  RETURN_IF_ERROR(GetNumber(j, where, "arrival_cv", 0, true, 100, &s->arrival_cv));
  if (j.contains("arrival_cv") && (!s->arrival || *s->arrival != ArrivalKind::kGamma))
    return Bad(JoinPath(where, "arrival_cv"), "applies only to \"arrival\": \"gamma\"");
  s->requests = default_n;
  RETURN_IF_ERROR(GetInt(j, where, "requests", 1, 10'000'000, &s->requests));
  RETURN_IF_ERROR(GetInt(j, where, "kv_device_blocks", 1, 1'000'000'000, &s->kv_device_blocks));
  RETURN_IF_ERROR(GetNumber(j, where, "host_kv_gib", 0, false, 4096, &s->host_kv_gib));
  RETURN_IF_ERROR(GetChoice(j, where, "preemption_mode", {"recompute", "swap"}, &s->preemption_mode));
  int64_t bs = s->block_size;
  RETURN_IF_ERROR(GetInt(j, where, "block_size", 1, 1024, &bs));
  s->block_size = static_cast<int32_t>(bs);
  RETURN_IF_ERROR(GetNumber(j, where, "gpu_memory_utilization", 0, true, 1, &s->gpu_memory_utilization));
  int64_t cap = s->max_tokens_cap;
  RETURN_IF_ERROR(GetInt(j, where, "max_tokens_cap", 1, 1'000'000, &cap));
  s->max_tokens_cap = static_cast<int32_t>(cap);
  RETURN_IF_ERROR(GetChoice(j, where, "over_context", {"drop", "clip"}, &s->over_context));
  RETURN_IF_ERROR(GetNumber(j, where, "slo_scale", 0, true, 1000, &s->slo_scale));
  int64_t replicas = 1;
  RETURN_IF_ERROR(GetInt(j, where, "replicas", 1, kMaxReplicas, &replicas));
  s->replicas = static_cast<int>(replicas);
  RETURN_IF_ERROR(GetString(j, where, "router", &s->router));
  if (s->router.empty() && s->replicas > 1) s->router = "round-robin";
  if (!s->router.empty())
    if (auto r = MakeRouter(s->router, s->replicas, 0); !r.ok()) return Bad(JoinPath(where, "router"), r.status().message());
  if (j.contains("name")) {
    RETURN_IF_ERROR(GetString(j, where, "name", &s->name));
  } else {
    s->name = s->model + "/" + s->gpu + (s->tp > 1 ? "/tp" + std::to_string(s->tp) : "") + "/" + s->trace + "/" +
              (arrival.empty() ? "default" : arrival) +
              (s->arrival == ArrivalKind::kGamma ? "-cv" + ShortNumber(s->arrival_cv) : "") +
              (s->slo_scale != 1 ? "/slo" + ShortNumber(s->slo_scale) : "") +
              (s->router.empty() ? "" : "/x" + std::to_string(s->replicas) + "-" + s->router);
  }
  return Status::Ok();
}

Status CheckPolicyName(const std::string& name, const std::string& path) {
  auto names = PolicyNames();
  if (std::find(names.begin(), names.end(), name) == names.end())
    return Bad(path, UnknownName("policy", name, names).message());
  return Status::Ok();
}

Status ParsePolicy(const Json& j, const std::string& where, Variant* v) {
  RETURN_IF_ERROR(CheckObject(j, where, kPolicyKeys));
  v->where = where;
  RETURN_IF_ERROR(GetString(j, where, "policy", &v->policy, true));
  RETURN_IF_ERROR(CheckPolicyName(v->policy, JoinPath(where, "policy")));
  int64_t tb = 0;
  RETURN_IF_ERROR(GetInt(j, where, "token_budget", 1, 1'000'000, &tb));
  v->token_budget = static_cast<int32_t>(tb);
  RETURN_IF_ERROR(GetKnobs(j, where, "knobs", &v->knobs));
  v->label = v->policy + (tb > 0 ? "-" + std::to_string(tb) : "");
  RETURN_IF_ERROR(GetString(j, where, "label", &v->label));
  return Status::Ok();
}

// Every name in `names` must be in `valid`.
Status CheckRefs(const std::vector<std::string>& names, const std::vector<std::string>& valid,
                 const std::string& path, const std::string& kind) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (std::find(valid.begin(), valid.end(), names[i]) == valid.end())
      return Bad(Idx(path, i), "unknown " + kind + " '" + names[i] + "'; valid: " + JoinNames(valid));
  }
  return Status::Ok();
}

struct Names {
  std::vector<std::string> setups;
  std::vector<std::string> labels;
};

// A section's optional "policies" and "setups" filters.
Status GetFilters(const Json& j, const std::string& where, const Names& n, std::vector<std::string>* policies,
                  std::vector<std::string>* setups) {
  if (policies != nullptr) {
    RETURN_IF_ERROR(GetStringList(j, where, "policies", policies));
    RETURN_IF_ERROR(CheckRefs(*policies, n.labels, JoinPath(where, "policies"), "policy label"));
  }
  if (setups != nullptr) {
    RETURN_IF_ERROR(GetStringList(j, where, "setups", setups));
    RETURN_IF_ERROR(CheckRefs(*setups, n.setups, JoinPath(where, "setups"), "setup"));
  }
  return Status::Ok();
}

Status CheckMultiples(const Json& j, const std::string& where, const std::string& key, std::vector<double>* out) {
  return GetNumberList(j, where, key, 0, true, 100, out);
}

Status GetBase(const Json& j, const std::string& where, const ExperimentConfig& c, const Names& n,
               std::string* base) {
  RETURN_IF_ERROR(GetString(j, where, "base", base, true));
  if (c.FindPolicy(*base) == nullptr)
    return Bad(JoinPath(where, "base"), "unknown policy label '" + *base + "'; valid: " + JoinNames(n.labels));
  return Status::Ok();
}

Status ParseAblation(const Json& j, const std::string& where, const ExperimentConfig& c, const Names& n,
                     AblationSpec* a) {
  RETURN_IF_ERROR(CheckObject(j, where, kAblationKeys));
  a->enabled = true;
  RETURN_IF_ERROR(GetBase(j, where, c, n, &a->base));
  const Variant& base = *c.FindPolicy(a->base);
  std::string knob = "disable";
  RETURN_IF_ERROR(GetString(j, where, "knob", &knob));
  std::vector<std::string> switches;
  RETURN_IF_ERROR(GetStringList(j, where, "switches", &switches));
  if (j.contains("knob") && switches.empty())
    return Bad(JoinPath(where, "knob"), "names the knob \"switches\" set; give \"switches\" too");
  for (size_t i = 0; i < switches.size(); ++i) {
    Variant v = base;
    v.where = Idx(JoinPath(where, "switches"), i);
    auto it = v.knobs.find(knob);
    v.knobs[knob] = it == v.knobs.end() || it->second.empty() ? switches[i] : it->second + "," + switches[i];
    a->names.push_back("no-" + switches[i]);
    a->variants.push_back(v);
  }
  if (auto it = j.find("variants"); it != j.end()) {
    std::string path = JoinPath(where, "variants");
    if (!it->is_array() || it->empty()) return Bad(path, "must be a non-empty list of {name, knobs}");
    for (size_t i = 0; i < it->size(); ++i) {
      std::string w = Idx(path, i);
      RETURN_IF_ERROR(CheckObject((*it)[i], w, kAblationVariantKeys));
      std::string name;
      RETURN_IF_ERROR(GetString((*it)[i], w, "name", &name, true));
      if (!(*it)[i].contains("knobs")) return Bad(JoinPath(w, "knobs"), "is required");
      Variant v = base;
      v.where = w;
      RETURN_IF_ERROR(GetKnobs((*it)[i], w, "knobs", &v.knobs));
      a->names.push_back(name);
      a->variants.push_back(v);
    }
  }
  if (a->variants.empty()) return Bad(where, "needs \"switches\" or \"variants\"");
  for (size_t i = 0; i < a->variants.size(); ++i) a->variants[i].label = a->base + "/" + a->names[i];
  RETURN_IF_ERROR(CheckMultiples(j, where, "load_multiples", &a->load_multiples));
  RETURN_IF_ERROR(GetBool(j, where, "capacity", &a->capacity));
  return GetFilters(j, where, n, nullptr, &a->setups);
}

Status ParseSensitivity(const Json& j, const std::string& where, const ExperimentConfig& c, const Names& n,
                        SensitivitySpec* s) {
  RETURN_IF_ERROR(CheckObject(j, where, kSensitivityKeys));
  s->enabled = true;
  RETURN_IF_ERROR(GetBase(j, where, c, n, &s->base));
  const Variant& base = *c.FindPolicy(s->base);
  auto it = j.find("sweeps");
  std::string path = JoinPath(where, "sweeps");
  if (it == j.end()) return Bad(path, "is required");
  if (!it->is_array() || it->empty()) return Bad(path, "must be a non-empty list of {knob, values}");
  for (size_t i = 0; i < it->size(); ++i) {
    std::string w = Idx(path, i);
    const Json& sj = (*it)[i];
    RETURN_IF_ERROR(CheckObject(sj, w, kSweepKeys));
    SensitivitySweep sw;
    RETURN_IF_ERROR(GetString(sj, w, "knob", &sw.knob, true));
    std::map<std::string, std::string> with;
    RETURN_IF_ERROR(GetKnobs(sj, w, "with", &with));
    if (with.count(sw.knob)) return Bad(JoinPath(w, "with"), "sets the swept knob '" + sw.knob + "' too");
    auto vals = sj.find("values");
    if (vals == sj.end()) return Bad(JoinPath(w, "values"), "is required");
    if (!vals->is_array() || vals->empty()) return Bad(JoinPath(w, "values"), "must be a non-empty list");
    for (size_t k = 0; k < vals->size(); ++k) {
      std::string vw = Idx(JoinPath(w, "values"), k);
      auto text = KnobValueString((*vals)[k], vw);
      if (!text.ok()) return text.status();
      Variant v = base;
      v.where = vw;
      for (const auto& [wk, wv] : with) v.knobs[wk] = wv;
      if (sw.knob == "block_size") {
        if (!(*vals)[k].is_number_integer() || (*vals)[k].get<int64_t>() < 1 || (*vals)[k].get<int64_t>() > 1024)
          return Bad(vw, "block_size must be an integer in [1, 1024], got " + (*vals)[k].dump());
        v.block_size = static_cast<int32_t>((*vals)[k].get<int64_t>());
      } else {
        v.knobs[sw.knob] = *text;
      }
      v.label = s->base + "/" + sw.knob + "=" + *text;
      for (const auto& [wk, wv] : with) v.label += "," + wk + "=" + wv;
      sw.values.push_back(*text);
      sw.variants.push_back(v);
    }
    sw.with = with;
    s->sweeps.push_back(std::move(sw));
  }
  RETURN_IF_ERROR(CheckMultiples(j, where, "load_multiples", &s->load_multiples));
  RETURN_IF_ERROR(GetBool(j, where, "capacity", &s->capacity));
  return GetFilters(j, where, n, nullptr, &s->setups);
}

Status ParseScale(const Json& j, const std::string& where, const ExperimentConfig& c, const Names& n,
                  ScaleSpec* s) {
  RETURN_IF_ERROR(CheckObject(j, where, kScaleKeys));
  s->enabled = true;
  s->setup = c.setups.front().name;
  RETURN_IF_ERROR(GetString(j, where, "setup", &s->setup));
  RETURN_IF_ERROR(CheckRefs({s->setup}, n.setups, JoinPath(where, "setup"), "setup"));
  s->policies = {c.reference};
  RETURN_IF_ERROR(GetFilters(j, where, n, &s->policies, nullptr));
  RETURN_IF_ERROR(GetIntList(j, where, "requests", 1, 10'000'000, &s->requests));
  RETURN_IF_ERROR(GetIntList(j, where, "pool_blocks", 1, 1'000'000'000, &s->pool_blocks));
  RETURN_IF_ERROR(GetNumber(j, where, "load_multiple", 0, true, 100, &s->load_multiple));
  int64_t seed = static_cast<int64_t>(c.seeds.front());
  RETURN_IF_ERROR(GetInt(j, where, "seed", 0, INT64_MAX, &seed));
  s->seed = static_cast<uint64_t>(seed);
  return Status::Ok();
}

}  // namespace

std::string DefinitionName(CapacityDefinition d) { return d == CapacityDefinition::kToken ? "token" : "stall"; }

std::string Variant::KnobText() const {
  std::string out;
  for (const auto& [k, v] : knobs) out += (out.empty() ? "" : ";") + k + "=" + v;
  return out;
}

std::string Variant::Key() const {
  return policy + "|tb=" + std::to_string(token_budget) + "|bs=" + std::to_string(block_size) +
         (kv_device_blocks > 0 ? "|kv=" + std::to_string(kv_device_blocks) : "") + "|" + KnobText();
}

const Variant* ExperimentConfig::FindPolicy(const std::string& label) const {
  for (const auto& v : policies)
    if (v.label == label) return &v;
  return nullptr;
}

int ExperimentConfig::FindSetup(const std::string& n) const {
  for (size_t i = 0; i < setups.size(); ++i)
    if (setups[i].name == n) return static_cast<int>(i);
  return -1;
}

const std::vector<std::string>& ConfigKeys() {
  static const std::vector<std::string> kKeys = {
      "name",        "description", "seeds",   "requests",    "reference", "setups",   "policies",
      "load_curves", "capacity",    "anatomy", "ablation", "sensitivity", "slo_scale", "scale", "ceilings",
      "overload", "equal_load"};
  return kKeys;
}

namespace {

// Derives the ceiling variants from the capacity policies (after filters).
Status ParseCeilings(const Json& j, const std::string& where, ExperimentConfig* c) {
  RETURN_IF_ERROR(CheckObject(j, where, kCeilingsKeys));
  CeilingsSpec& ce = c->ceilings;
  if (!c->capacity.enabled) return Bad(where, "needs a \"capacity\" section: ceilings are capacities");
  ce.enabled = true;
  RETURN_IF_ERROR(GetInt(j, where, "kv_device_blocks", 1, 100'000'000, &ce.kv_device_blocks));
  RETURN_IF_ERROR(GetBool(j, where, "oracle", &ce.oracle));
  for (const auto& label : c->capacity.policies) {
    Variant v = *c->FindPolicy(label);
    v.kv_device_blocks = ce.kv_device_blocks;
    v.label = label + "/unbounded-kv";
    v.where = where + " (from " + label + ")";
    ce.unbounded.push_back(std::move(v));
    ce.unbounded_of.push_back(label);
  }
  if (ce.oracle) {
    for (const auto& label : c->capacity.policies) {
      Variant v = *c->FindPolicy(label);
      if (v.policy != "cacheopt") continue;
      v.knobs["estimator"] = "oracle";
      v.label = label + "/oracle";
      v.where = where + " (from " + label + ")";
      ce.oracles.push_back(std::move(v));
    }
    if (ce.oracles.empty())
      return Bad(JoinPath(where, "oracle"), "needs a cacheopt policy among the capacity policies (or set false)");
  }
  return Status::Ok();
}

}  // namespace

Result<ExperimentConfig> ParseExperimentConfig(const Json& j, const std::string& shared_dir,
                                               const std::string& default_name) {
  ExperimentConfig c;
  c.raw = j;
  RETURN_IF_ERROR(CheckObject(j, "", ConfigKeys()));
  c.name = default_name;
  RETURN_IF_ERROR(GetString(j, "", "name", &c.name));
  if (auto it = j.find("description"); it != j.end()) {
    if (!it->is_string()) return Bad("description", "must be a string");
    c.description = it->get<std::string>();
  }
  std::vector<int64_t> seeds;
  RETURN_IF_ERROR(GetIntList(j, "", "seeds", 0, INT64_MAX, &seeds));
  if (!seeds.empty()) {
    c.seeds.clear();
    std::set<int64_t> seen;
    for (size_t i = 0; i < seeds.size(); ++i) {
      if (!seen.insert(seeds[i]).second)
        return Bad(Idx("seeds", i), "seed " + std::to_string(seeds[i]) + " is listed twice");
      c.seeds.push_back(static_cast<uint64_t>(seeds[i]));
    }
  }
  RETURN_IF_ERROR(GetInt(j, "", "requests", 1, 10'000'000, &c.requests));

  // Setups.
  auto sj = j.find("setups");
  if (sj == j.end()) return Bad("setups", "is required");
  if (!sj->is_array() || sj->empty()) return Bad("setups", "must be a non-empty list");
  Names names;
  for (size_t i = 0; i < sj->size(); ++i) {
    SetupSpec s;
    RETURN_IF_ERROR(ParseSetup((*sj)[i], Idx("setups", i), shared_dir, c.requests, &s));
    if (c.FindSetup(s.name) >= 0)
      return Bad(Idx("setups", i), "setup name '" + s.name + "' is used twice; give one a \"name\"");
    names.setups.push_back(s.name);
    c.setups.push_back(std::move(s));
  }

  // Policies.
  auto pj = j.find("policies");
  if (pj == j.end()) return Bad("policies", "is required");
  if (!pj->is_array() || pj->empty()) return Bad("policies", "must be a non-empty list");
  for (size_t i = 0; i < pj->size(); ++i) {
    Variant v;
    RETURN_IF_ERROR(ParsePolicy((*pj)[i], Idx("policies", i), &v));
    if (c.FindPolicy(v.label) != nullptr)
      return Bad(Idx("policies", i), "label '" + v.label + "' is used twice; give one a \"label\"");
    if (v.label.find('/') != std::string::npos)
      return Bad(JoinPath(Idx("policies", i), "label"), "must not contain '/' (reserved for derived variants)");
    names.labels.push_back(v.label);
    c.policies.push_back(std::move(v));
  }
  RETURN_IF_ERROR(GetString(j, "", "reference", &c.reference));
  if (c.FindPolicy(c.reference) == nullptr)
    return Bad("reference", "unknown policy label '" + c.reference + "' (every rate is a multiple of its "
                            "capacity); valid: " + JoinNames(names.labels));

  // Sections.
  if (auto it = j.find("load_curves"); it != j.end()) {
    RETURN_IF_ERROR(CheckObject(*it, "load_curves", kLoadKeys));
    c.load_curves.enabled = true;
    RETURN_IF_ERROR(CheckMultiples(*it, "load_curves", "multiples", &c.load_curves.multiples));
    RETURN_IF_ERROR(GetFilters(*it, "load_curves", names, &c.load_curves.policies, &c.load_curves.setups));
  }
  if (auto it = j.find("capacity"); it != j.end()) {
    CapacitySpec& cap = c.capacity;
    RETURN_IF_ERROR(CheckObject(*it, "capacity", kCapacityKeys));
    cap.enabled = true;
    std::vector<std::string> defs;
    RETURN_IF_ERROR(GetStringList(*it, "capacity", "definitions", &defs));
    if (!defs.empty()) cap.definitions.clear();
    for (size_t i = 0; i < defs.size(); ++i) {
      if (defs[i] == "token") {
        cap.definitions.push_back(CapacityDefinition::kToken);
      } else if (defs[i] == "stall") {
        cap.definitions.push_back(CapacityDefinition::kStall);
      } else {
        return Bad(Idx("capacity.definitions", i), "unknown definition '" + defs[i] + "'; allowed: token, stall");
      }
    }
    RETURN_IF_ERROR(GetNumber(*it, "capacity", "lo_rps", 0, true, 1e6, &cap.lo_rps));
    RETURN_IF_ERROR(GetNumber(*it, "capacity", "hi_rps", 0, true, 1e6, &cap.hi_rps));
    if (cap.hi_rps <= cap.lo_rps)
      return Bad("capacity.hi_rps", "must be above lo_rps (" + ShortNumber(cap.lo_rps) + "), got " +
                                        ShortNumber(cap.hi_rps));
    RETURN_IF_ERROR(GetNumber(*it, "capacity", "rel_width", 0.001, false, 1, &cap.rel_width));
    RETURN_IF_ERROR(GetNumber(*it, "capacity", "target", 0, true, 1, &cap.target));
    RETURN_IF_ERROR(GetFilters(*it, "capacity", names, &cap.policies, &cap.setups));
  }
  if (auto it = j.find("anatomy"); it != j.end()) {
    RETURN_IF_ERROR(CheckObject(*it, "anatomy", kAnatomyKeys));
    c.anatomy.enabled = true;
    RETURN_IF_ERROR(GetNumber(*it, "anatomy", "multiple", 0, true, 100, &c.anatomy.multiple));
    RETURN_IF_ERROR(GetFilters(*it, "anatomy", names, &c.anatomy.policies, &c.anatomy.setups));
  }
  if (auto it = j.find("ablation"); it != j.end())
    RETURN_IF_ERROR(ParseAblation(*it, "ablation", c, names, &c.ablation));
  if (auto it = j.find("sensitivity"); it != j.end())
    RETURN_IF_ERROR(ParseSensitivity(*it, "sensitivity", c, names, &c.sensitivity));
  if (auto it = j.find("slo_scale"); it != j.end()) {
    RETURN_IF_ERROR(CheckObject(*it, "slo_scale", kSloScaleKeys));
    c.slo_scale.enabled = true;
    if (!it->contains("values")) return Bad("slo_scale.values", "is required");
    RETURN_IF_ERROR(GetNumberList(*it, "slo_scale", "values", 0, true, 1000, &c.slo_scale.values));
    RETURN_IF_ERROR(GetNumber(*it, "slo_scale", "load_multiple", 0, true, 100, &c.slo_scale.load_multiple));
    RETURN_IF_ERROR(GetFilters(*it, "slo_scale", names, &c.slo_scale.policies, &c.slo_scale.setups));
  }
  if (auto it = j.find("scale"); it != j.end()) RETURN_IF_ERROR(ParseScale(*it, "scale", c, names, &c.scale));
  const bool stall = std::find(c.capacity.definitions.begin(), c.capacity.definitions.end(),
                               CapacityDefinition::kStall) != c.capacity.definitions.end();
  if (auto it = j.find("overload"); it != j.end()) {
    RETURN_IF_ERROR(CheckObject(*it, "overload", kOverloadKeys));
    if (!stall) return Bad("overload", "needs \"stall\" in capacity.definitions: rates are multiples of it");
    c.overload.enabled = true;
    RETURN_IF_ERROR(CheckMultiples(*it, "overload", "multiples", &c.overload.multiples));
    RETURN_IF_ERROR(GetFilters(*it, "overload", names, &c.overload.policies, &c.overload.setups));
  }
  if (auto it = j.find("equal_load"); it != j.end()) {
    RETURN_IF_ERROR(CheckObject(*it, "equal_load", kEqualLoadKeys));
    if (!stall) return Bad("equal_load", "needs \"stall\" in capacity.definitions: the load is the best baseline's");
    c.equal_load.enabled = true;
    RETURN_IF_ERROR(GetFilters(*it, "equal_load", names, &c.equal_load.policies, &c.equal_load.setups));
  }

  // Filters left empty mean "all".
  for (auto* p : {&c.load_curves.policies, &c.capacity.policies, &c.anatomy.policies, &c.slo_scale.policies,
                 &c.overload.policies, &c.equal_load.policies})
    if (p->empty()) *p = names.labels;
  for (auto* s : {&c.load_curves.setups, &c.capacity.setups, &c.anatomy.setups, &c.ablation.setups,
                  &c.sensitivity.setups, &c.slo_scale.setups, &c.overload.setups, &c.equal_load.setups})
    if (s->empty()) *s = names.setups;
  if (auto it = j.find("ceilings"); it != j.end()) RETURN_IF_ERROR(ParseCeilings(*it, "ceilings", &c));
  return c;
}

Result<ExperimentConfig> LoadExperimentConfig(const std::string& path, const std::string& shared_dir) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("experiment config " + path + " not found or unreadable");
  std::stringstream text;
  text << in.rdbuf();
  Json j;
  try {
    j = Json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    return Status::InvalidArgument(path + ": not valid JSON: " + e.what());
  }
  std::string stem = path;
  if (auto slash = stem.find_last_of('/'); slash != std::string::npos) stem = stem.substr(slash + 1);
  if (auto dot = stem.rfind('.'); dot != std::string::npos && dot > 0) stem = stem.substr(0, dot);
  auto c = ParseExperimentConfig(j, shared_dir, stem);
  if (!c.ok()) return Status::InvalidArgument(path + ": " + c.status().message());
  return c;
}

}  // namespace cacheopt::experiment
