// Every random sub-stream id in the project (Rng::Stream(seed, id)), kept in
// one place so no two consumers of one seed ever share a stream. Add new ids
// here; never renumber one, or old seeds stop reproducing old results.
#pragma once

#include <cstdint>

namespace cacheopt::streams {

// Workload building (src/sim/workload.cc).
inline constexpr uint64_t kWorkloadWindow = 1;    // window start, or row order
inline constexpr uint64_t kWorkloadArrivals = 2;  // Poisson / Gamma arrivals
inline constexpr uint64_t kWorkloadSlo = 3;       // SLO classes

// The synthetic trace (src/trace/synthetic.cc).
inline constexpr uint64_t kSyntheticArrivals = 101;
inline constexpr uint64_t kSyntheticLengths = 102;

// The generated prefix-sharing traces (src/trace/prefix_workloads.cc).
inline constexpr uint64_t kPrefixArrivals = 111;
inline constexpr uint64_t kPrefixLengths = 112;

// Estimators (src/core/estimate/).
inline constexpr uint64_t kNoisyOracle = 201;  // noisy-oracle's per-request key

// The benchmark client (tools/loadgen/).
inline constexpr uint64_t kBenchPromptTokens = 301;  // token ids of the prompts
inline constexpr uint64_t kBenchFaults = 302;        // injected client faults (bench --disconnect-fraction)

// The engine soak (tools/soak/): an episode's draws, from its own seed.
inline constexpr uint64_t kSoakEpisode = 401;
inline constexpr uint64_t kSoakPrefixes = 402;  // shared prompt prefixes (their own stream: the rest unchanged)
inline constexpr uint64_t kSoakGroups = 403;    // request groups (n > 1), likewise

}  // namespace cacheopt::streams
