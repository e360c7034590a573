// Fits the attention roofline (core/cost/operator_tables.h AttentionCoeffs)
// to Vidur's one measured attention table: FlashAttention on A100, one shape
// (legacy_e2d00e9/a100/attention.csv.xz). Other shapes then follow by FLOPs
// and bytes; other GPUs by ScaleAttention.
#pragma once

#include <cstdint>
#include <string>

#include "cacheopt/cost/operator_tables.h"
#include "cacheopt/status.h"

namespace cacheopt {

struct AttentionFit {
  AttentionCoeffs coeffs;
  int prefill_rows = 0;
  int decode_rows = 0;
  // The longest context a row measured (KV so far plus the chunk): past it
  // the roofline extrapolates.
  int32_t max_context = 0;
  // |predicted / measured - 1| over the table's own rows.
  double prefill_median_error = 0;
  double prefill_p90_error = 0;
  double decode_median_error = 0;
  double decode_p90_error = 0;
};

// Least squares weighted by 1/t^2 (relative error), per kernel kind:
//   prefill: t = floor + q_bytes*a + causal_flops/R_causal + prefix_flops/R_prefix
//   decode:  t = floor + kv_bytes/B
// with shapes per TP shard taken from the table's own columns. A coefficient
// that comes out non-positive is an error (the table is not what we expect).
Result<AttentionFit> FitAttention(const std::string& path);

}  // namespace cacheopt
