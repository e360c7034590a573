// Token sampling that is a pure function of (logits, params, tokens so far,
// output index): the random number for the i-th generated token comes from
// (seed, i), not from a stream, so a preempted-and-recomputed sequence draws
// the same one.
//
// Logit processing, in vLLM V1's order (vllm/v1/sample/sampler.py): the
// grammar mask and the min_tokens stop mask, logit_bias, then the penalties
// (repetition over prompt + output, then frequency and presence over the
// output, as vllm/model_executor/layers/utils.py apply_penalties), then
// temperature, top-k, top-p. Log-probabilities, when asked for, are those of
// the raw logits (vLLM's default logprobs_mode "raw_logprobs"): the model's
// own distribution, before any of the above.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "cacheopt/status.h"
#include "exec/cpu/json_grammar.h"

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
  // Penalties (OpenAI / vLLM ranges): presence and frequency in [-2, 2]
  // (0: off), repetition in (0, 2] (1: off).
  float presence_penalty = 0;
  float frequency_penalty = 0;
  float repetition_penalty = 1;
  // logit_bias: (token id, bias in [-100, 100]) added to the logit.
  std::vector<std::pair<int32_t, float>> logit_bias;
  // Log-probabilities of the sampled token and of the `logprobs` most likely
  // ones (-1: none; 0: only the sampled token's).
  int32_t logprobs = -1;
  // Constrained decoding (response_format): every token keeps the output a
  // prefix of a JSON text matching this schema (json_grammar.h); null: off.
  // The executor keeps the automaton state per sequence (grammar_mask.h).
  std::shared_ptr<const JsonSchema> json_schema;
};

Status ValidateSamplingParams(const SamplingParams& p);

struct SampledToken {
  int32_t token = -1;
  bool eos = false;
  // With params.logprobs >= 0: the sampled token's raw log-probability and
  // the `logprobs` most likely tokens, most likely first (ties: lower id).
  float logprob = 0;
  std::vector<std::pair<int32_t, float>> top_logprobs;
};

// What a draw may look at besides the logits: the sequence so far (for the
// penalties) and an allowed-token mask (constrained decoding; null: all).
// With a mask, a stop id is drawable only where the mask allows it; if the
// mask leaves nothing drawable the sequence ends (token: the first stop id).
struct SampleContext {
  std::span<const int32_t> prompt;
  std::span<const int32_t> output;
  const std::vector<uint8_t>* allowed = nullptr;  // [vocab], 1 = allowed
};

// splitmix64's output function, and a uniform double in [0, 1) for draw
// `index` of stream `seed`.
uint64_t SplitMixHash(uint64_t x);
double UniformAt(uint64_t seed, int64_t index);

// First index of the largest value (ties go to the lowest id).
int32_t ArgMax(std::span<const float> v);

// log softmax(logits)[token], and the `top` most likely tokens' log
// probabilities into out->top_logprobs (most likely first, ties: lower id).
float RawLogprob(std::span<const float> logits, int32_t token);
void RawLogprobs(std::span<const float> logits, int32_t top, SampledToken* out);

class Sampler {
 public:
  // Picks the token that follows `generated` already generated tokens.
  SampledToken Sample(std::span<const float> logits, const SamplingParams& p, int32_t generated);
  // The same with the sequence (penalties) and a mask; `generated` is
  // ctx.output.size().
  SampledToken Sample(std::span<const float> logits, const SamplingParams& p, const SampleContext& ctx);

  // The logits after bias and penalties, in place (exposed for tests).
  void ApplyPenalties(std::span<float> logits, const SamplingParams& p, const SampleContext& ctx);

 private:
  SampledToken SampleAt(std::span<const float> logits, const SamplingParams& p, const SampleContext& ctx,
                        int32_t generated);
  std::vector<float> work_;
  std::vector<int32_t> counts_;  // per token id, zero between calls
  std::vector<uint8_t> seen_;    // per token id, zero between calls
  std::vector<std::pair<float, int32_t>> order_;  // (prob, id)
};

}  // namespace cacheopt
