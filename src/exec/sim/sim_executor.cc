#include "exec/sim/sim_executor.h"

#include <algorithm>
#include <cassert>

namespace cacheopt {

void SimExecutor::SetTrueLength(int64_t id, int32_t output_tokens) {
  assert(id >= 0);
  if (static_cast<size_t>(id) >= true_len_.size()) true_len_.resize(id + 1, -1);
  true_len_[id] = output_tokens;
}

void SimExecutor::SetOutputBlockHashes(int64_t id, int32_t first, std::vector<BlockHash> hashes) {
  assert(id >= 0);
  if (static_cast<size_t>(id) >= output_hashes_.size()) output_hashes_.resize(id + 1);
  output_hashes_[id] = {first, std::move(hashes)};
}

void SimExecutor::Execute(const SchedulerOutput& step, ExecutorOutput* out) {
  work_.clear();
  out->results.clear();
  for (const ScheduledSeq& s : step.seqs) {
    work_.push_back({s.num_tokens, s.context_before});
    SeqResult res;
    if (s.emits_token) {
      res.token = 0;
      int32_t truth = true_len_[s.request_id];
      assert(truth > 0);
      // The token about to be emitted is number num_output + 1.
      res.eos = s.num_output + 1 >= truth;
      // The sampled token is number context_before + num_tokens + 1 of the sequence.
      const int32_t tokens = s.context_before + s.num_tokens + 1;
      if (tokens % block_size_ == 0 && static_cast<size_t>(s.request_id) < output_hashes_.size()) {
        const OutputHashes& h = output_hashes_[s.request_id];
        const int32_t k = tokens / block_size_ - 1 - h.first;
        if (k >= 0 && static_cast<size_t>(k) < h.hashes.size()) res.filled_block_hash = h.hashes[k];
      }
    }
    out->results.push_back(res);
  }
  // Copies issued for this step delay it (vLLM swaps before the forward
  // pass); copies issued ahead of need overlap the compute.
  double compute = cost_->StepTime(work_);
  double copies = 0;
  if (!step.swap_out.empty() || !step.swap_in.empty())
    copies = cost_->SwapTime(static_cast<int64_t>(step.swap_out.size()),
                             static_cast<int64_t>(step.swap_in.size()), block_size_);
  double ahead = 0;
  if (!step.swap_out_ahead.empty())
    ahead = cost_->SwapTime(static_cast<int64_t>(step.swap_out_ahead.size()), 0, block_size_);
  out->duration_s = compute + copies + std::max(0.0, ahead - compute);
}

}  // namespace cacheopt
