// Operator tables synthesised from datasheets alone: the fallback when the
// profiled tables in ../shared/data are absent, so the simulator still runs.
// Rougher than the profiles (docs/cost-model.md gives its error against them).
#pragma once

#include "cacheopt/cost/gpu_spec.h"
#include "cacheopt/cost/model_spec.h"
#include "cacheopt/cost/operator_tables.h"

namespace cacheopt {

// Attention roofline fitted on Vidur's A100 attention table
// (vidur_profiling/legacy_e2d00e9/a100/attention.csv.xz), frozen here for
// when that file is absent. src/profile refits it when present.
AttentionCoeffs ReferenceA100Attention();

// Host overhead fitted on vidur_profiling/legacy_7f14d6a/a100/cpu_overheads.csv
// (all models), frozen here for when that file is absent.
OverheadCoeffs ReferenceOverhead();

// Every table from GEMM/elementwise rooflines at fixed fractions of the
// datasheet FLOP rate and HBM bandwidth, a ring all-reduce over NVLink, and
// the reference attention and overhead scaled by datasheet ratios.
OperatorTables AnalyticTables(const ModelSpec& model, const GpuSpec& gpu, int tp);

}  // namespace cacheopt
