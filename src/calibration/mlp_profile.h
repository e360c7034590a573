// Vidur's per-layer operator table (compute/<gpu>/<model>/mlp.csv[.xz]) for
// one TP degree: the non-attention operators summed per layer, the
// embedding per step, and two figures that characterise the GPU.
#pragma once

#include <string>

#include "cacheopt/cost/model_spec.h"
#include "cacheopt/cost/piecewise_linear.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct MlpProfile {
  PiecewiseLinear layer_s;   // per layer, seconds, vs tokens; non-decreasing
  PiecewiseLinear step_s;    // embedding, once per step, vs tokens; non-decreasing
  double max_tokens = 0;     // largest token count profiled
  double gemm_s_at_max = 0;  // QKV, O, up and down GEMMs per layer at max_tokens
  double layer_s_at_8 = 0;   // per-layer time at 8 tokens: weight streaming
};

// Reads the rows for `tp`, takes the median of repeated rows per token count
// and op, sums the ops ("emb" goes to step_s, the rest to layer_s) and makes
// each curve non-decreasing (profiling noise otherwise makes more tokens
// occasionally cheaper). The table's shape columns must match `model`.
Result<MlpProfile> ReadMlpProfile(const std::string& path, const ModelSpec& model, int tp);

}  // namespace cacheopt
