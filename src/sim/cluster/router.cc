#include "sim/cluster/router.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "cacheopt/util/knob_list.h"
#include "cacheopt/util/names.h"
#include "cacheopt/util/short_number.h"

namespace cacheopt {
namespace {

constexpr std::string_view kRoundRobin = "round-robin";
constexpr std::string_view kLeastRequests = "least-requests";
constexpr std::string_view kLeastconn = "leastconn";
constexpr std::string_view kInferenceExtension = "inference-extension";
constexpr std::string_view kPrecisePrefix = "precise-prefix";

// Each router's knobs with their upstream defaults (docs/cluster-sim.md).
Knobs KnobsOf(std::string_view name) {
  if (name == kLeastconn) return {{"agent_inter_s", {2.0, 1e-3, 3600}}};  // HAProxy's default `inter 2s`
  if (name == kInferenceExtension)
    return {{"refresh_s", {0.05, 1e-4, 60}},  // the EPP's metrics refresh interval
            {"queue_weight", {2, 0, 1e6}},
            {"kv_weight", {2, 0, 1e6}},
            {"prefix_weight", {3, 0, 1e6}},
            {"max_prefix_blocks", {256, 1, 1e6}},
            {"lru_capacity", {31250, 1, 1e9}}};
  if (name == kPrecisePrefix)
    return {{"refresh_s", {0.05, 1e-4, 60}},
            {"queue_weight", {2, 0, 1e6}},
            {"kv_weight", {2, 0, 1e6}},
            {"prefix_weight", {3, 0, 1e6}},
            {"max_prefix_blocks", {256, 1, 1e6}}};
  return {};
}


}  // namespace

std::vector<std::string> RouterNames() {
  return {std::string(kRoundRobin), std::string(kLeastRequests), std::string(kLeastconn),
          std::string(kInferenceExtension), std::string(kPrecisePrefix)};
}

Result<std::unique_ptr<Router>> MakeRouter(std::string_view spec, int replicas, uint64_t seed) {
  const size_t colon = spec.find(':');
  const std::string_view name = spec.substr(0, colon);
  const std::string_view list = colon == std::string_view::npos ? std::string_view() : spec.substr(colon + 1);
  const auto names = RouterNames();
  bool known = false;
  for (const auto& n : names) known = known || n == name;
  if (!known) return UnknownName("router", name, names);
  if (replicas < 1 || replicas > kMaxReplicas)
    return Status::InvalidArgument("--replicas must be in [1, " + std::to_string(kMaxReplicas) + "], got " +
                                   std::to_string(replicas));
  Knobs k = KnobsOf(name);
  if (Status s = ParseKnobList("router " + std::string(name), list, &k); !s.ok()) return s;
  auto v = [&k](const char* key) { return k.at(key).value; };
  if (name == kRoundRobin) return MakeRoundRobinRouter(replicas);
  if (name == kLeastRequests) return MakeLeastRequestsRouter(replicas);
  if (name == kLeastconn) return MakeLeastconnRouter(replicas, v("agent_inter_s"));
  const ScorerWeights w{v("queue_weight"), v("kv_weight"), v("prefix_weight")};
  const auto max_blocks = static_cast<int32_t>(v("max_prefix_blocks"));
  if (name == kInferenceExtension)
    return MakeInferenceExtensionRouter(replicas, seed, w, v("refresh_s"), max_blocks,
                                        static_cast<int64_t>(v("lru_capacity")));
  return MakePrecisePrefixRouter(replicas, seed, w, v("refresh_s"), max_blocks);
}

}  // namespace cacheopt
