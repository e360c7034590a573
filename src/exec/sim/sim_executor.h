// The simulated executor: step durations from a cost model, and the model's
// EOS played from each request's true output length, which only it holds.
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/executor.h"

namespace cacheopt {

class SimExecutor : public Executor {
 public:
  SimExecutor(const CostModel* cost, int32_t block_size) : cost_(cost), block_size_(block_size) {}

  // The true output length of request `id` (from the trace); ids are small
  // non-negative integers in a simulation, so a vector indexes them.
  void SetTrueLength(int64_t id, int32_t output_tokens);
  // The chained hashes of request `id`'s blocks from block `first` on (those
  // its output fills), reported as each fills (SeqResult::filled_block_hash):
  // the trace's stand-in for hashing the tokens it samples.
  void SetOutputBlockHashes(int64_t id, int32_t first, std::vector<BlockHash> hashes);

  void Execute(const SchedulerOutput& step, ExecutorOutput* out) override;

 private:
  const CostModel* cost_;
  int32_t block_size_;
  std::vector<int32_t> true_len_;  // by request id; -1 unknown
  struct OutputHashes {
    int32_t first = 0;
    std::vector<BlockHash> hashes;
  };
  std::vector<OutputHashes> output_hashes_;  // by request id; empty: none
  std::vector<SeqWork> work_;  // scratch
};

}  // namespace cacheopt
