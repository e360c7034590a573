// Options every policy shares, each with its default. Policy-specific knobs
// arrive as strings (`--set KEY=VALUE`) and each policy validates its own.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "cacheopt/kv_cache_event.h"

namespace cacheopt {

enum class PreemptMode : int8_t { kRecompute, kSwap };

struct SchedulerConfig {
  int32_t block_size = 16;          // tokens per KV block (vLLM's default)
  int32_t device_blocks = 0;        // device-tier pool; required
  int32_t host_blocks = 0;          // host tier (swap space); 0 = no swapping
  int32_t max_model_len = 4096;     // the model's context
  // The knobs below: <=0 / unset means "the policy's documented default".
  int32_t max_num_seqs = 0;
  int32_t token_budget = 0;         // max tokens per step (max_num_batched_tokens)
  double watermark = -1;            // fraction of device blocks kept free at admission
  std::string device_name;          // e.g. "a100-40g": some upstream defaults depend on it
  double device_memory_gib = 0;
  PreemptMode preemption_mode = PreemptMode::kRecompute;  // where a policy offers both
  // Reuse the KV of cached prompt prefixes (RequestSpec::block_hashes). The
  // registry sets it from the policy's default and its `prefix_caching` knob.
  bool prefix_caching = false;
  std::map<std::string, std::string> knobs;  // policy-specific, from --set
  // Simulation only: a request's true output length, for the `oracle` and
  // `noisy-oracle` estimators of the sensitivity study. Empty elsewhere.
  std::function<int32_t(int64_t)> truth;
  // Keep every token gap for the run's summary (TakeGapLog). A server that
  // runs for days turns it off: it grows by 4 bytes a token.
  bool keep_gap_log = true;
  // Called for every block the prefix cache stores or evicts (KV events);
  // unset: nobody listens.
  KvCacheEventHook kv_events;
};

}  // namespace cacheopt
