// Batch formation: how many of a request's pending tokens (a prompt, or a
// recompute's prompt plus output) join this step, given the token budget it
// has left. Decodes are one token each under every rule.
#pragma once

#include <algorithm>
#include <cstdint>

#include "cacheopt/request.h"

namespace cacheopt {

class ChunkRule {
 public:
  virtual ~ChunkRule() = default;
  // <= 0: it does not join this step. `cached`: leading tokens the prefix
  // cache will supply, not to compute.
  virtual int32_t Tokens(const Request& r, int32_t budget_left, int32_t cached = 0) const = 0;
};

// No chunking (vLLM V0's default, TensorRT-LLM without chunked context): the
// whole pending prompt fits the budget left, or waits.
class WholePrompt final : public ChunkRule {
 public:
  int32_t Tokens(const Request& r, int32_t budget_left, int32_t cached = 0) const override {
    const int32_t n = r.TokensToCompute() - cached;
    return n <= budget_left ? n : 0;
  }
};

// Chunked prefill (vLLM V1, Sarathi-Serve): as much of the prompt as the
// budget left allows, optionally at most `long_prefill_threshold` per step.
class BudgetChunks final : public ChunkRule {
 public:
  explicit BudgetChunks(int32_t long_prefill_threshold = 0) : threshold_(long_prefill_threshold) {}
  int32_t Tokens(const Request& r, int32_t budget_left, int32_t cached = 0) const override {
    int32_t n = r.TokensToCompute() - cached;
    if (threshold_ > 0) n = std::min(n, threshold_);
    return std::min(n, budget_left);
  }

 private:
  int32_t threshold_;
};

}  // namespace cacheopt
