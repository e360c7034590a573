#include "cacheopt/cost/operator_tables.h"

#include <algorithm>
#include <vector>

namespace cacheopt {
namespace {

PiecewiseLinear RaiseFloor(const PiecewiseLinear& curve, double factor) {
  if (curve.empty()) return curve;
  const double floor = curve.ys().front() * factor;
  std::vector<double> ys = curve.ys();
  for (double& y : ys) y = std::max(y, floor);
  return PiecewiseLinear(curve.xs(), std::move(ys));
}

}  // namespace

Status ValidateTables(const OperatorTables& t, int tp) {
  if (tp < 1) return Status::InvalidArgument("tp must be >= 1, got " + std::to_string(tp));
  if (t.layer_s.empty()) return Status::InvalidArgument("operator tables: empty per-layer table");
  if (t.step_s.empty()) return Status::InvalidArgument("operator tables: empty per-step table");
  if (tp > 1 && t.all_reduce_s.empty()) {
    return Status::InvalidArgument("operator tables: tp > 1 needs an all-reduce table");
  }
  const AttentionCoeffs& a = t.attention;
  if (!(a.causal_flops_per_s > 0 && a.prefix_flops_per_s > 0 && a.kv_bytes_per_s > 0 &&
        a.prefill_floor_s >= 0 && a.decode_floor_s >= 0 && a.prefill_s_per_q_byte >= 0)) {
    return Status::InvalidArgument("operator tables: attention rates must be > 0, floors >= 0");
  }
  if (!(t.gemm_flops_per_s > 0 && t.weight_bytes_per_s > 0)) {
    return Status::InvalidArgument("operator tables: GEMM and weight rates must be > 0");
  }
  if (!(t.overhead.step_s >= 0 && t.overhead.per_seq_s >= 0)) {
    return Status::InvalidArgument("operator tables: overheads must be >= 0");
  }
  return Status::Ok();
}

AttentionCoeffs ScaleAttention(const AttentionCoeffs& a, double compute_speedup,
                               double memory_speedup) {
  AttentionCoeffs s = a;
  s.causal_flops_per_s *= compute_speedup;
  s.prefix_flops_per_s *= compute_speedup;
  s.kv_bytes_per_s *= memory_speedup;
  s.prefill_s_per_q_byte /= memory_speedup;
  return s;
}

void SlowMemoryBoundLinear(double factor, OperatorTables* t) {
  if (factor <= 1.0) return;
  t->layer_s = RaiseFloor(t->layer_s, factor);
  t->step_s = RaiseFloor(t->step_s, factor);
  t->weight_bytes_per_s /= factor;
}

}  // namespace cacheopt
