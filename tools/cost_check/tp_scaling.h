// Why the GPU cost model misses Splitwise's TP4 rows: compares how each
// source says Llama-2-70B speeds up from TP2 to TP4. Vidur's kernel tables
// (timed one operator at a time) scale almost as 1/TP; SplitwiseSim's
// end-to-end runs do not; DistServe's fitted vLLM latency model (OPT-66B,
// A100-80GB, TP 2/3/4/8) shows a per-step cost that does not shrink with TP.
// Diagnostic only: nothing here feeds the cost model (docs/cost-model.md).
#pragma once

#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "cost_check/cost_check.h"

namespace cacheopt {

struct TpScalingRow {
  std::string gpu;                  // "a100-80g" | "h100-80g"
  double vidur_layer_8 = 0;         // Vidur per-layer time, TP4 / TP2, at 8 tokens
  double vidur_layer_4096 = 0;      // the same at 4096 tokens
  double measured_decode = 0;       // Splitwise batch-1 decodes, median TP4 / median TP2
  double predicted_decode = 0;      // the cost model's, same rows
  double measured_prefill = 0;      // Splitwise single prompts 512-4096, median of TP4/TP2 per prompt
  double predicted_prefill = 0;
  // The TP communication the model already charges, from Vidur's measured
  // NCCL table (network/<gpu>_dgx/all_reduce.csv, the curve the cost model
  // reads): one all-reduce of a batch-1 decode's message (8 padded tokens x
  // hidden x 2 bytes), at TP2 and TP4, in us; the two per layer of a TP4
  // decode step, in ms; the TP4 batch-1 decodes' median measured - predicted
  // (ms); and the factor on every all-reduce that would close that gap.
  double all_reduce_tp2_us = 0, all_reduce_tp4_us = 0;
  double decode_all_reduce_tp4_ms = 0;
  double decode_gap_tp4_ms = 0;
  double all_reduce_factor_needed = 0;
};

// DistServe's vLLM decode intercept a(tp) (ms, one sequence) fitted as
// fixed + per_tp / tp by least squares over the TPs it profiles.
struct DistServeDecodeFit {
  std::string model;        // "facebook/opt-66b"
  std::vector<int> tps;
  std::vector<double> intercept_ms;
  double fixed_ms = 0;      // does not shrink with TP
  double per_tp_ms = 0;     // divided by TP
  double max_residual = 0;  // max |fit / a - 1| over the TPs
};

struct TpScalingReport {
  std::vector<TpScalingRow> rows;
  DistServeDecodeFit distserve;
};

// Reads the Vidur tables and DistServe's profiler-a100-80g.vllm.json under
// `data_dir`; `check` is RunCostCheck's report on the same data.
Result<TpScalingReport> RunTpScalingCheck(const std::string& data_dir, const CostCheckReport& check);
std::string FormatTpScaling(const TpScalingReport& r);

}  // namespace cacheopt
