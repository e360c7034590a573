#include "cacheopt/cost/analytic_tables.h"

#include <algorithm>
#include <vector>

namespace cacheopt {
namespace {

// Fractions of the datasheet reached by the profiled kernels: 4096-token GEMMs
// run at 0.71-0.78 of peak FLOP/s, 8-token layers stream weights at 0.69-0.79
// of peak bandwidth in Vidur's A100/H100 tables (docs/cost-model.md).
constexpr double kGemmEfficiency = 0.7;
constexpr double kMemoryEfficiency = 0.72;
constexpr double kKernelFloorS = 3e-6;  // smallest profiled elementwise kernels: 2-5 us
// a100_dgx all-reduce of 64 MiB over 2 GPUs: 0.335 ms, i.e. ~0.6 of NVLink.
constexpr double kNvlinkEfficiency = 0.6;
constexpr double kAllReduceLatencyS = 20e-6;
// The reference part of the attention fit: A100-80GB PCIe.
constexpr double kReferenceFlops = 312e12;
constexpr double kReferenceHbm = 1.94e12;
constexpr int kMaxTableTokens = 4096;

struct Gemm {
  double in, out;  // per shard
};

double LayerSeconds(const ModelSpec& m, int tp, double tokens, double flops, double bw) {
  const double h = m.hidden, hd = m.head_dim();
  const double heads = m.HeadsPerShard(tp), kv_heads = m.KvHeadsPerShard(tp);
  const double ffn = static_cast<double>(m.ffn) / tp;
  const Gemm gemms[] = {{h, (heads + 2 * kv_heads) * hd},
                        {heads * hd, h},
                        {h, (m.gated_mlp ? 2 : 1) * ffn},
                        {ffn, h}};
  double s = 0;
  for (const Gemm& g : gemms) {
    const double compute = 2 * tokens * g.in * g.out / flops;
    const double memory = 2 * (g.in * g.out + tokens * (g.in + g.out)) / bw;
    s += std::max(compute, memory) + kKernelFloorS;
  }
  // Two norms, rope, activation, residual add: fp16 reads and writes.
  const double elementwise_bytes =
      2 * tokens * (2 * 2 * h + 2 * (heads + kv_heads) * hd + (m.gated_mlp ? 3 : 2) * ffn + 3 * h);
  return s + elementwise_bytes / bw + 5 * kKernelFloorS;
}

}  // namespace

AttentionCoeffs ReferenceA100Attention() {
  AttentionCoeffs a;
  a.prefill_floor_s = 14.53e-6;
  a.prefill_s_per_q_byte = 4.119e-12;
  a.causal_flops_per_s = 68.39e12;
  a.prefix_flops_per_s = 144.4e12;
  a.decode_floor_s = 13.42e-6;
  a.kv_bytes_per_s = 1561e9;
  return a;
}

OverheadCoeffs ReferenceOverhead() { return {1.428e-3, 0.04168e-3}; }

OperatorTables AnalyticTables(const ModelSpec& m, const GpuSpec& gpu, int tp) {
  const double flops = gpu.dense_flops * kGemmEfficiency;
  const double bw = gpu.hbm_bytes_per_s * kMemoryEfficiency;
  std::vector<double> tokens = {1, 2, 4};
  for (int t = 8; t <= kMaxTableTokens; t += 8) tokens.push_back(t);
  std::vector<double> layer, step;
  for (double t : tokens) {
    layer.push_back(LayerSeconds(m, tp, t, flops, bw));
    step.push_back(2 * 2 * t * m.hidden / bw + kKernelFloorS);
  }
  OperatorTables out;
  out.layer_s = PiecewiseLinear(tokens, std::move(layer));
  out.step_s = PiecewiseLinear(std::move(tokens), std::move(step));
  if (tp > 1) {
    std::vector<double> bytes, secs;
    const double ring = 2.0 * (tp - 1) / tp;
    for (double b = 2048; b <= 64.0 * 1024 * 1024; b *= 2) {
      bytes.push_back(b);
      secs.push_back(kAllReduceLatencyS + ring * b / (gpu.nvlink_bytes_per_s * kNvlinkEfficiency));
    }
    out.all_reduce_s = PiecewiseLinear(std::move(bytes), std::move(secs));
  }
  out.attention = ScaleAttention(ReferenceA100Attention(), gpu.dense_flops / kReferenceFlops,
                                 gpu.hbm_bytes_per_s / kReferenceHbm);
  out.gemm_flops_per_s = flops;
  out.weight_bytes_per_s = bw;
  out.overhead = ReferenceOverhead();
  out.source = "analytic (datasheet rooflines; no profile tables)";
  return out;
}

}  // namespace cacheopt
