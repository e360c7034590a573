// Token sampling that is a pure function of (logits, params, output index):
// the random number for the i-th generated token comes from (seed, i), not
// from a stream, so a preempted-and-recomputed sequence draws the same one.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

struct SamplingParams {
  float temperature = 0;  // 0: greedy argmax, ties to the lowest id
  float top_p = 1;        // nucleus: smallest top set with mass >= top_p
  int32_t top_k = 0;      // 0: off
  uint64_t seed = 0;
  // Benchmarking: the sequence ends after exactly this many generated tokens
  // (-1: off), and not before: stop ids are masked until then, as min_tokens
  // does (a trace's length plays the model's end). The emitted token is still
  // the sampled one.
  int32_t eos_after = -1;
  bool ignore_eos = false;  // stop ids do not end the sequence
  int32_t min_tokens = 0;   // stop ids are masked until this many are generated
  std::vector<int32_t> stop_ids;
};

Status ValidateSamplingParams(const SamplingParams& p);

struct SampledToken {
  int32_t token = -1;
  bool eos = false;
};

// splitmix64's output function, and a uniform double in [0, 1) for draw
// `index` of stream `seed`.
uint64_t SplitMixHash(uint64_t x);
double UniformAt(uint64_t seed, int64_t index);

// First index of the largest value (ties go to the lowest id).
int32_t ArgMax(std::span<const float> v);

class Sampler {
 public:
  // Picks the token that follows `generated` already generated tokens.
  SampledToken Sample(std::span<const float> logits, const SamplingParams& p, int32_t generated);

 private:
  std::vector<float> work_;
  std::vector<std::pair<float, int32_t>> order_;  // (prob, id)
};

}  // namespace cacheopt
