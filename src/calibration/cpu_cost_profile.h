// A measured profile of this machine's real CPU engine (`cacheopt profile`):
// the model's shape, every timed step and copy, and the CPU cost model fitted
// to them. `cacheopt simulate --cost-model FILE` replays workloads with it, so
// the simulator can be checked against the real server (EVALUATION.md).
// JSON; reading is strict and names the field that is wrong.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cacheopt/cost/cost_model.h"
#include "cacheopt/cost/cpu_cost_model.h"
#include "cacheopt/status.h"

namespace cacheopt {

inline constexpr const char* kCpuCostProfileFormat = "cacheopt-cpu-cost-profile";
inline constexpr int kCpuCostProfileVersion = 1;

struct CpuProfileStep {
  std::vector<SeqWork> seqs;  // the batch: one {new tokens, context before} per sequence
  double seconds = 0;         // median of the timed runs
};

struct CpuProfileCopy {
  int32_t blocks = 0;
  bool to_host = true;  // device -> host (swap out); false: host -> device
  double seconds = 0;
};

struct CpuCostProfile {
  // Where it was measured.
  std::string model_name;
  std::string model_path;
  std::string machine;  // CPU model name, as /proc/cpuinfo gives it
  int32_t threads = 0;  // engine threads during the measurement
  // The model's shape, so the simulator sizes the context and KV like the server.
  int32_t n_layers = 0, dim = 0, n_heads = 0, n_kv_heads = 0, hidden_dim = 0, vocab_size = 0;
  int32_t context = 0;
  int64_t kv_bytes_per_token = 0;
  int32_t block_size = 16;
  // The fit: step = c[0] + c[1] tokens + c[2] attention pairs + c[3] sequences
  // + c[4] KV tokens read (core/cost/cpu_cost_model.h).
  CpuCostModel::Coeffs coeffs{};
  double copy_bytes_per_s = 0;
  std::vector<CpuProfileStep> steps;
  std::vector<CpuProfileCopy> copies;
};

Status WriteCpuCostProfile(const CpuCostProfile& p, const std::string& path);
Result<CpuCostProfile> ReadCpuCostProfile(const std::string& path);
// Parses the JSON text; `source` names it in messages.
Result<CpuCostProfile> ParseCpuCostProfile(const std::string& text, const std::string& source);

// The cost model the profile describes (its coefficients and copy rate).
std::unique_ptr<CpuCostModel> MakeProfiledCostModel(const CpuCostProfile& p);

}  // namespace cacheopt
