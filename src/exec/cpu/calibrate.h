// A short start-up calibration of the CPU cost model: a handful of synthetic
// batch shapes (prefills, decode batches at a few contexts, one mixed batch)
// run through the real forward pass on a scratch KV arena, timed, observed and
// fitted; then block copies between the scratch tiers for the swap rate. The
// executor refines the fit online from every real step after this.
#pragma once

#include <cstdint>
#include <vector>

#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/status.h"
#include "exec/cpu/forward.h"

namespace cacheopt {

struct CalibrateOptions {
  // Shapes, each clamped to the model's context (a decode needs context + 1).
  std::vector<int32_t> prefill_sizes = {16, 64, 256};
  std::vector<int32_t> decode_batches = {1, 4, 8};
  std::vector<int32_t> decode_contexts = {32, 256};
  int32_t reps = 3;                                // timed runs per shape; the median counts
  double max_seconds = 3.0;                        // wall budget: later (costlier) shapes are skipped
  int64_t max_scratch_bytes = int64_t{256} << 20;  // shapes needing more KV are skipped
  int32_t copy_blocks = 8;                         // blocks per timed copy batch
  KvDtype kv_dtype = KvDtype::kF32;                // the scratch cache's, as the engine's
  // More batches to time as they are (after clamping to the context), e.g.
  // mixed steps for `cacheopt profile`.
  std::vector<std::vector<SeqWork>> extra_shapes;
};

// One timed shape: the median of its runs.
struct CalibrationStep {
  std::vector<SeqWork> seqs;
  double seconds = 0;
};

// One timed batch of block copies between the scratch tiers.
struct CalibrationCopy {
  int32_t blocks = 0;
  bool to_host = true;
  double seconds = 0;
};

struct CalibrationReport {
  int32_t shapes = 0;   // shapes observed
  int32_t skipped = 0;  // shapes left out by the time or memory budget
  double seconds = 0;   // wall time of the whole calibration
  std::vector<CalibrationStep> steps;  // what was observed, in the order timed
  std::vector<CalibrationCopy> copies;
};

// Observes into `cost` and fits it. `forward` is the executor's (its packed
// weights and thread pool); the scratch arena is private, so live sequences
// are untouched. `block_size` is the executor's.
Status Calibrate(Forward& forward, int32_t block_size, CpuCostModel* cost, const CalibrateOptions& opts,
                 CalibrationReport* report = nullptr);

}  // namespace cacheopt
