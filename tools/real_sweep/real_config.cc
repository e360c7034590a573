#include "real_sweep/real_config.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cacheopt/policy_registry.h"
#include "sweep/json_fields.h"

namespace cacheopt::realexp {
namespace {

using experiment::Json;


Status GetCpuList(const Json& j, const std::string& where, const std::string& key, std::vector<int>* out) {
  std::vector<int64_t> v;
  if (!j.contains(key)) return Status::Ok();
  Status s = experiment::GetIntList(j, where, key, 0, 1023, &v);
  if (!s.ok()) return s;
  out->assign(v.begin(), v.end());
  return Status::Ok();
}

Status ParseInto(const Json& j, RealExperimentConfig* c) {
  using namespace experiment;
  const std::vector<std::string> keys = {"description", "model", "trace", "length_scale", "requests", "seed", "seeds",
                                         "arrival", "arrival_cv", "policies", "load_multiples",
                                         "reference_policy", "working_set_multiple", "server", "client",
                                         "time_limit_s", "profile_max_seconds", "fidelity_policies",
                                         "capacity_search", "solo_requests", "warmup", "speed_check"};
  Status s = CheckObject(j, "", keys);
  if (!s.ok()) return s;
  auto ok = [&](Status st) {
    if (s.ok()) s = std::move(st);
    return s.ok();
  };
  ok(GetString(j, "", "description", &c->description));
  if (j.contains("model")) {
    const Json& m = j["model"];
    if (ok(CheckObject(m, "model", {"path", "generate", "seed"}))) {
      ok(GetString(m, "model", "path", &c->model_path));
      ok(GetChoice(m, "model", "generate", {"micro", "tiny", "15m", "42m", "110m"}, &c->model_generate));
      int64_t seed = static_cast<int64_t>(c->model_seed);
      ok(GetInt(m, "model", "seed", 0, INT64_MAX, &seed));
      c->model_seed = static_cast<uint64_t>(seed);
      if (s.ok() && m.contains("path") && m.contains("generate"))
        s = Status::InvalidArgument("model: give either path or generate, not both");
    }
  }
  ok(GetString(j, "", "trace", &c->trace));
  ok(GetNumber(j, "", "length_scale", 1, false, 1e6, &c->length_scale));
  ok(GetInt(j, "", "requests", 1, 1000000, &c->requests));
  int64_t seed = static_cast<int64_t>(c->seed);
  ok(GetInt(j, "", "seed", 0, INT64_MAX, &seed));
  c->seed = static_cast<uint64_t>(seed);
  if (j.contains("seeds")) {
    std::vector<int64_t> v;
    if (ok(GetIntList(j, "", "seeds", 0, INT64_MAX, &v))) {
      if (v.empty()) ok(Status::InvalidArgument("seeds: give at least one seed (or leave it out: seed alone)"));
      c->seeds.assign(v.begin(), v.end());
    }
  }
  ok(GetChoice(j, "", "arrival", {"poisson", "gamma"}, &c->arrival));
  ok(GetNumber(j, "", "arrival_cv", 0, true, 100, &c->arrival_cv));
  const std::vector<std::string> names = PolicyNames();
  auto check_policies = [&](const std::string& key, const std::vector<std::string>& v) {
    for (const std::string& p : v)
      if (std::find(names.begin(), names.end(), p) == names.end()) {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        ok(Status::InvalidArgument(key + ": unknown policy '" + p + "'; valid: " + all));
      }
  };
  if (j.contains("policies") && ok(GetStringList(j, "", "policies", &c->policies)))
    check_policies("policies", c->policies);
  ok(GetNumberList(j, "", "load_multiples", 0, true, 100, &c->load_multiples));
  if (ok(GetString(j, "", "reference_policy", &c->reference_policy)))
    check_policies("reference_policy", {c->reference_policy});
  ok(GetNumber(j, "", "working_set_multiple", 0, true, 1000, &c->working_set_multiple));
  if (j.contains("server")) {
    const Json& m = j["server"];
    if (ok(CheckObject(m, "server", {"cpus", "threads", "max_concurrency", "max_queue"}))) {
      ok(GetCpuList(m, "server", "cpus", &c->server_cpus));
      int64_t v = c->server_threads;
      ok(GetInt(m, "server", "threads", 0, 1024, &v));
      c->server_threads = static_cast<int32_t>(v);
      v = c->max_concurrency;
      ok(GetInt(m, "server", "max_concurrency", 1, 100000, &v));
      c->max_concurrency = static_cast<int32_t>(v);
      v = c->max_queue;
      ok(GetInt(m, "server", "max_queue", 0, 100000, &v));
      c->max_queue = static_cast<int32_t>(v);
    }
  }
  if (j.contains("client")) {
    const Json& m = j["client"];
    if (ok(CheckObject(m, "client", {"cpus"}))) ok(GetCpuList(m, "client", "cpus", &c->client_cpus));
  }
  ok(GetNumber(j, "", "time_limit_s", 0, true, 86400, &c->time_limit_s));
  ok(GetNumber(j, "", "profile_max_seconds", 0, true, 3600, &c->profile_max_seconds));
  ok(GetInt(j, "", "solo_requests", 2, 100000, &c->solo_requests));
  ok(GetBool(j, "", "speed_check", &c->speed_check));
  if (j.contains("warmup")) {
    const Json& m = j["warmup"];
    auto& w = c->warmup;
    if (ok(CheckObject(m, "warmup", {"multiple", "requests", "seed"}))) {
      ok(GetNumber(m, "warmup", "multiple", 0, false, 100, &w.multiple));
      ok(GetInt(m, "warmup", "requests", 0, 1000000, &w.requests));
      int64_t ws = static_cast<int64_t>(w.seed);
      ok(GetInt(m, "warmup", "seed", 0, INT64_MAX, &ws));
      w.seed = static_cast<uint64_t>(ws);
    }
  }
  if (s.ok() && c->warmup.multiple > 0) {
    const auto seeds = c->RunSeeds();
    if (std::find(seeds.begin(), seeds.end(), c->warmup.seed) != seeds.end())
      s = Status::InvalidArgument("warmup.seed " + std::to_string(c->warmup.seed) +
                                  " is one of the runs' seeds: the refit would be tuned on a run it predicts");
  }
  if (j.contains("fidelity_policies") && ok(GetStringList(j, "", "fidelity_policies", &c->fidelity_policies))) {
    for (const std::string& p : c->fidelity_policies)
      if (std::find(c->policies.begin(), c->policies.end(), p) == c->policies.end())
        ok(Status::InvalidArgument("fidelity_policies: '" + p + "' is not in policies"));
  }
  if (j.contains("capacity_search")) {
    const Json& m = j["capacity_search"];
    auto& cs = c->capacity_search;
    if (ok(CheckObject(m, "capacity_search", {"policies", "low", "high", "target", "iterations"}))) {
      if (ok(GetStringList(m, "capacity_search", "policies", &cs.policies))) {
        for (const std::string& p : cs.policies)
          if (std::find(c->policies.begin(), c->policies.end(), p) == c->policies.end())
            ok(Status::InvalidArgument("capacity_search.policies: '" + p + "' is not in policies"));
      }
      ok(GetNumber(m, "capacity_search", "low", 0, true, 100, &cs.low));
      ok(GetNumber(m, "capacity_search", "high", 0, true, 100, &cs.high));
      ok(GetNumber(m, "capacity_search", "target", 0, true, 1, &cs.target));
      int64_t it = cs.iterations;
      ok(GetInt(m, "capacity_search", "iterations", 1, 20, &it));
      cs.iterations = static_cast<int32_t>(it);
      if (s.ok() && cs.low >= cs.high) s = Status::InvalidArgument("capacity_search: low must be below high");
    }
  }
  return s;
}

}  // namespace

Result<RealExperimentConfig> ParseRealExperimentConfig(const std::string& text, const std::string& source) {
  Json j = Json::parse(text, nullptr, false);
  if (j.is_discarded()) return Status::InvalidArgument(source + ": not valid JSON");
  if (!j.is_object()) return Status::InvalidArgument(source + ": the config is a JSON object");
  RealExperimentConfig c;
  Status s = ParseInto(j, &c);
  if (!s.ok()) return Status::InvalidArgument(source + ": " + s.message());
  return c;
}

Result<RealExperimentConfig> ReadRealExperimentConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("experiment config " + path + " not found");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseRealExperimentConfig(ss.str(), path);
}

}  // namespace cacheopt::realexp
