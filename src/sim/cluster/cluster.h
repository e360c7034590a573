// A simulated cluster: `replicas` engine sessions, each with its own policy
// instance, KV pools and executor, behind one router (sim/cluster/router.h).
// Every replica steps on one shared virtual clock exactly as
// Session::Run steps one engine (a one-replica cluster reproduces Simulate's
// result, a test); each arriving request goes to the replica its router
// picks and joins that replica's queue at its next step. The router learns
// only what a real one learns, when it would learn it: a response's end and
// a step's KV events at the end of that step, and each replica's gauges as
// they stood at each scrape (its refresh interval), i.e. after the replica's
// last finished step. Deterministic: same workload, options and seed,
// identical result.
#pragma once

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/status.h"
#include "sim/simulator.h"
#include "sim/workload.h"

namespace cacheopt {

// opts.cluster names the router, the replica count and the tie-break seed.
// Errors: an unknown router or knob, replicas outside [1, 64] (each named
// with the valid choices), a steps log (one engine only), a policy stuck.
Result<SimulationResult> SimulateCluster(const Workload& workload, const CostModel& cost,
                                         const SimulationOptions& opts);

}  // namespace cacheopt
