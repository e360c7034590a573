// What the real engine reports per request after a step: the tokens it
// produced (with their text) and, once, how it ended.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/session.h"
#include "exec/cpu/sampler.h"

namespace cacheopt {

struct RequestEvent {
  int64_t id = 0;
  std::vector<int32_t> tokens;  // new this step, in order
  // Their text: Tokenizer::DecodePiece each, after its predecessor; a token
  // that ends the sequence by stopping, and BOS / EOS, print nothing.
  std::string text;
  // The start of the step that first scheduled it (engine clock), set on
  // that step's event only; -1 otherwise. Arrival to here is its queue time
  // (vLLM's WAITING phase).
  double first_scheduled_s = -1;
  // With SamplingParams::logprobs >= 0, per token: its draw (log-probability
  // and top alternatives) and its own text (piece_text[i] is what tokens[i]
  // added to `text`).
  std::vector<SampledToken> logprobs;
  std::vector<std::string> piece_text;
  bool finished = false;
  // Set when finished.
  FinishReason reason = FinishReason::kStop;
  int32_t prompt_tokens = 0;
  int32_t completion_tokens = 0;
  double arrival_s = 0, first_token_s = -1, finish_s = 0;  // engine clock
  int32_t preemptions = 0;
  int32_t cached_tokens = 0;  // prompt tokens its first admission found in the prefix cache
  double ttft_slo_s = 0, tbt_slo_s = 0;  // the targets it was given
  SloClass slo_class = SloClass::kMedium;  // the class it was scheduled under
  SloVerdict slo;                        // whether it met them (the session's verdict)
};

}  // namespace cacheopt
