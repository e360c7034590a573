#include "calibration/mlp_profile.h"

#include <algorithm>
#include <map>
#include <vector>

#include "calibration/csv_table.h"
#include "calibration/stats.h"

namespace cacheopt {
namespace {

constexpr std::string_view kPrefix = "time_stats.";
constexpr std::string_view kSuffix = ".median";
constexpr const char* kGemmOps[] = {"attn_pre_proj", "attn_post_proj", "mlp_up_proj",
                                    "mlp_down_proj"};

struct OpColumn {
  std::string op;
  int col;
};

std::vector<OpColumn> OpColumns(const CsvTable& t) {
  std::vector<OpColumn> ops;
  for (size_t i = 0; i < t.header().size(); ++i) {
    const std::string& h = t.header()[i];
    if (h.size() > kPrefix.size() + kSuffix.size() && h.starts_with(kPrefix) &&
        h.ends_with(kSuffix)) {
      ops.push_back({h.substr(kPrefix.size(), h.size() - kPrefix.size() - kSuffix.size()),
                     static_cast<int>(i)});
    }
  }
  return ops;
}

// The table's model shape against the registry's: a mismatch means the wrong
// folder or a registry error, either of which would silently skew every step.
Status CheckShape(const CsvTable& t, const ModelSpec& m) {
  const std::pair<const char*, int64_t> expected[] = {{"n_head", m.heads},
                                                      {"n_kv_head", m.kv_heads},
                                                      {"n_embd", m.hidden},
                                                      {"n_expanded_embd", m.ffn}};
  for (const auto& [name, value] : expected) {
    Result<int> col = t.Column(name);
    if (!col.ok()) return col.status();
    Result<double> v = t.Number(0, *col);
    if (!v.ok()) return v.status();
    if (static_cast<int64_t>(*v) != value) {
      return Status::InvalidArgument(t.source() + ": " + name + " is " +
                                     std::to_string(static_cast<int64_t>(*v)) + " but " + m.name +
                                     " has " + std::to_string(value));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<MlpProfile> ReadMlpProfile(const std::string& path, const ModelSpec& model, int tp) {
  Result<CsvTable> table = CsvTable::Read(path);
  if (!table.ok()) return table.status();
  const CsvTable& t = *table;
  if (t.rows() == 0) return Status::InvalidArgument(path + ": no data rows");
  if (Status s = CheckShape(t, model); !s.ok()) return s;
  Result<int> tokens_col = t.Column("num_tokens");
  Result<int> tp_col = t.Column("num_tensor_parallel_workers");
  if (!tokens_col.ok()) return tokens_col.status();
  if (!tp_col.ok()) return tp_col.status();
  const std::vector<OpColumn> ops = OpColumns(t);
  if (ops.empty()) return Status::InvalidArgument(path + ": no time_stats.<op>.median columns");

  // tokens -> op -> samples (ms)
  std::map<double, std::map<std::string, std::vector<double>>> samples;
  std::vector<double> tps_seen;
  for (size_t r = 0; r < t.rows(); ++r) {
    Result<double> row_tp = t.Number(r, *tp_col);
    if (!row_tp.ok()) return row_tp.status();
    tps_seen.push_back(*row_tp);
    if (*row_tp != tp) continue;
    Result<double> tokens = t.Number(r, *tokens_col);
    if (!tokens.ok()) return tokens.status();
    if (*tokens < 1) return t.FieldError(r, *tokens_col, "must be >= 1");
    for (const OpColumn& op : ops) {
      Result<double> ms = t.Number(r, op.col);
      if (!ms.ok()) return ms.status();
      samples[*tokens][op.op].push_back(*ms);
    }
  }
  if (samples.empty()) {
    std::sort(tps_seen.begin(), tps_seen.end());
    tps_seen.erase(std::unique(tps_seen.begin(), tps_seen.end()), tps_seen.end());
    std::string have;
    for (double v : tps_seen)
      have += (have.empty() ? "" : ", ") + std::to_string(static_cast<int>(v));
    return Status::NotFound(path + ": no rows for TP " + std::to_string(tp) + " (has " + have +
                            ")");
  }

  MlpProfile p;
  std::vector<double> xs, layer, step;
  for (const auto& [tokens, by_op] : samples) {
    double layer_ms = 0, step_ms = 0, gemm_ms = 0;
    for (const auto& [op, v] : by_op) {
      const double m = Median(v);
      (op == "emb" ? step_ms : layer_ms) += m;
      for (const char* g : kGemmOps) gemm_ms += op == g ? m : 0;
    }
    xs.push_back(tokens);
    layer.push_back(layer_ms * 1e-3);
    step.push_back(step_ms * 1e-3);
    p.max_tokens = tokens;
    p.gemm_s_at_max = gemm_ms * 1e-3;
  }
  MakeNonDecreasing(&layer);
  MakeNonDecreasing(&step);
  p.layer_s = PiecewiseLinear(xs, std::move(layer));
  p.step_s = PiecewiseLinear(std::move(xs), std::move(step));
  p.layer_s_at_8 = p.layer_s(8);
  if (p.gemm_s_at_max <= 0) return Status::InvalidArgument(path + ": no GEMM op columns");
  return p;
}

}  // namespace cacheopt
