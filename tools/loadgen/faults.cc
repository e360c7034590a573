#include "loadgen/faults.h"

#include <nlohmann/json.hpp>

#include "cacheopt/random/distributions.h"
#include "cacheopt/random/rng.h"
#include "cacheopt/random/streams.h"

namespace cacheopt::bench {

std::vector<Fault> PlanFaults(size_t requests, const FaultOptions& o, uint64_t seed) {
  Rng rng = Rng::Stream(seed, streams::kBenchFaults);
  const size_t variants = MalformedBodies("m").size();
  std::vector<Fault> out(requests);
  for (Fault& f : out) {
    // Three draws per request whatever the outcome: one request's fault
    // never shifts another's.
    const double u = UniformDouble(rng);
    const auto chunks = static_cast<int32_t>(1 + UniformInt(rng, 16));
    const auto variant = static_cast<int32_t>(UniformInt(rng, variants));
    if (u < o.disconnect_fraction) {
      f.kind = FaultKind::kDisconnect;
      f.disconnect_after_chunks = chunks;
    } else if (u < o.disconnect_fraction + o.malformed_fraction) {
      f.kind = FaultKind::kMalformed;
      f.malformed_variant = variant;
    }
  }
  return out;
}

std::vector<std::string> MalformedBodies(const std::string& model) {
  using json = nlohmann::json;
  const auto with = [&](json j) {
    json base = {{"model", model}, {"prompt", "Once upon a time"}, {"max_tokens", 8}, {"stream", true}};
    for (auto& [k, v] : j.items()) {
      if (v.is_null()) {
        base.erase(k);
      } else {
        base[k] = v;
      }
    }
    return base.dump();
  };
  return {
      "this is not json",
      R"({"model": ")" + model + R"(", "prompt": "Once upon a)",  // cut short
      with({{"max_tokens", "ten"}}),
      with({{"prompt", nullptr}}),
      with({{"model", "no-such-model"}}),
      with({{"max_tokens", -5}}),
      with({{"max_tokens", 1000000000}}),
      with({{"temperature", -1}}),
      with({{"prompt", json::array({-1, 2, 3})}}),
      std::string("\x00\xff\xfe{\"prompt\"", 11),
      "[1, 2, 3]",
  };
}

const char* FaultLabel(FaultKind k) {
  switch (k) {
    case FaultKind::kDisconnect: return "disconnect";
    case FaultKind::kMalformed: return "malformed";
    case FaultKind::kNone: break;
  }
  return "";
}

}  // namespace cacheopt::bench
