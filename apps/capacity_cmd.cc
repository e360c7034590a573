#include <cstdio>
#include <iostream>

#include "commands.h"
#include "sim/capacity.h"
#include "summary_io.h"

namespace cacheopt {

int RunCapacity(const SimFlags& f, const std::string& definition) {
  CapacityOptions opts;
  if (definition == "token") {
    opts.definition = CapacityDefinition::kToken;
  } else if (definition == "stall") {
    opts.definition = CapacityDefinition::kStall;
  } else {
    return BadInput(Status::InvalidArgument("unknown --definition '" + definition + "'; valid: token, stall"));
  }
  SimFlags g = f;
  g.rate = 1.0;  // placeholder: the search sets every rate
  auto prepared = Prepare(g);
  if (!prepared.ok()) return BadInput(prepared.status());
  PreparedRun& run = **prepared;
  for (const auto& n : run.notes)
    if (n.rfind("rate:", 0) != 0) std::cerr << "note: " << n << "\n";
  auto res = FindCapacity(run.trace, run.workload, *run.setup.cost, run.sim, opts);
  if (!res.ok()) return BadInput(res.status());
  for (const auto& p : res->probes) {
    std::fprintf(stderr, "  rate %8.3f req/s: TTFT attainment %.3f, TBT attainment %.3f -> %s\n", p.rate_rps,
                 p.ttft_attainment, p.tbt_attainment, p.ok ? "ok" : "miss");
  }
  std::printf("capacity (%s, %s): %.3f req/s%s\n", f.policy.c_str(), definition.c_str(), res->max_rate_rps,
              res->below_range ? " (below the search range)" : res->above_range ? " (at the top of the range)" : "");
  if (!f.json_path.empty()) {
    nlohmann::ordered_json j;
    j["policy"] = f.policy;
    j["definition"] = definition;
    j["max_rate_rps"] = res->max_rate_rps;
    j["below_range"] = res->below_range;
    j["above_range"] = res->above_range;
    for (const auto& p : res->probes)
      j["probes"].push_back({{"rate_rps", p.rate_rps}, {"ttft_attainment", p.ttft_attainment},
                             {"tbt_attainment", p.tbt_attainment}, {"ok", p.ok}});
    if (!WriteJsonFile(f.json_path, j)) return BadInput(Status::IoError("cannot write --json " + f.json_path));
  }
  return 0;
}

}  // namespace cacheopt
