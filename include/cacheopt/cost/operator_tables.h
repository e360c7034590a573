// The per-TP-shard operator costs a GpuCostModel is assembled from: read from
// Vidur's profiles (src/profile) or synthesised from datasheets
// (analytic_tables.h). Plain data; seconds, bytes and FLOP/s throughout.
#pragma once

#include <string>

#include "cacheopt/cost/piecewise_linear.h"
#include "cacheopt/status.h"

namespace cacheopt {

// A calibrated roofline for attention, per layer and per TP shard.
//  Prefill chunks (one varlen kernel per step):
//    floor + sum over chunks of [ q_bytes * s_per_q_byte
//        + causal_flops / causal_flops_per_s
//        + max(prefix_flops / prefix_flops_per_s, prefix_kv_bytes / kv_bytes_per_s) ]
//  Decodes (one paged kernel per step): floor + kv_bytes_read / kv_bytes_per_s.
// q_bytes is the chunk's Q and O (fp16); causal_flops the chunk against
// itself (4 * n^2/2 * head_dim * heads); prefix_flops the chunk against its
// already-cached prefix (4 * n * context * head_dim * heads).
struct AttentionCoeffs {
  double prefill_floor_s = 0;
  double prefill_s_per_q_byte = 0;
  double causal_flops_per_s = 0;
  double prefix_flops_per_s = 0;
  double decode_floor_s = 0;
  double kv_bytes_per_s = 0;
};

// Host-side time per step: scheduling, input preparation, sampling, output
// processing. Grows with the number of sequences in the step.
struct OverheadCoeffs {
  double step_s = 0;
  double per_seq_s = 0;
};

struct OperatorTables {
  // Per decoder layer: every non-attention operator (QKV/O/MLP GEMMs, norms,
  // rope, activation, residual add) vs tokens in the step.
  PiecewiseLinear layer_s;
  // Once per step (token embedding) vs tokens in the step.
  PiecewiseLinear step_s;
  // One all-reduce vs message bytes; empty when tp == 1.
  PiecewiseLinear all_reduce_s;
  AttentionCoeffs attention;
  double gemm_flops_per_s = 0;    // achievable dense GEMM rate (LM head, many rows)
  double weight_bytes_per_s = 0;  // achievable weight-streaming rate (LM head, few rows)
  OverheadCoeffs overhead;
  std::string source;  // where each part came from, for notes
};

// Checks what GpuCostModel relies on: non-empty tables, positive rates, an
// all-reduce table when tp > 1.
Status ValidateTables(const OperatorTables& tables, int tp);

// Carries attention fitted on one part to another that is `compute_speedup`
// times faster at FLOPs and `memory_speedup` times faster at bytes (the
// per-query-byte cost counts as bytes). Floors stay: they are launch costs.
AttentionCoeffs ScaleAttention(const AttentionCoeffs& a, double compute_speedup,
                               double memory_speedup);

// Makes the memory-bound part of the linear operators `factor` (> 1) times
// slower, for a part with less HBM bandwidth than the one profiled: per-layer
// and per-step times rise to at least `factor` x their smallest-token
// (weight-streaming) value and the weight rate drops by `factor`;
// compute-bound (large-T) times stay. Attention is scaled by ScaleAttention.
void SlowMemoryBoundLinear(double factor, OperatorTables* tables);

}  // namespace cacheopt
