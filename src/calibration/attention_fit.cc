#include "calibration/attention_fit.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "calibration/csv_table.h"
#include "calibration/least_squares.h"

namespace cacheopt {
namespace {

struct Shape {
  double head_dim = 0, heads = 0, kv_heads = 0;  // per TP shard
};

struct Sample {
  std::vector<double> x;
  double t;
};

struct Columns {
  int prefill, chunk, kv, batch, prefill_ms, decode_ms;
};

Result<Shape> ReadShape(const CsvTable& t) {
  const char* names[] = {"n_embd", "n_q_head", "n_kv_head", "num_tensor_parallel_workers"};
  double v[4];
  for (int i = 0; i < 4; ++i) {
    Result<int> c = t.Column(names[i]);
    if (!c.ok()) return c.status();
    Result<double> n = t.Number(0, *c);
    if (!n.ok()) return n.status();
    if (*n <= 0) return t.FieldError(0, *c, "must be > 0");
    v[i] = *n;
  }
  return Shape{v[0] / v[1], v[1] / v[3], v[2] / v[3]};
}

Result<Columns> ReadColumns(const CsvTable& t) {
  const char* names[] = {"is_prefill",
                         "prefill_chunk_size",
                         "kv_cache_size",
                         "batch_size",
                         "time_stats.attn_prefill.median",
                         "time_stats.attn_decode.median"};
  int c[6];
  for (int i = 0; i < 6; ++i) {
    Result<int> col = t.Column(names[i]);
    if (!col.ok()) return col.status();
    c[i] = *col;
  }
  return Columns{c[0], c[1], c[2], c[3], c[4], c[5]};
}

// Fits, then reports the median and 90th-percentile relative error.
Result<std::vector<double>> Fit(const std::vector<Sample>& s, double* median, double* p90) {
  std::vector<std::vector<double>> x;
  std::vector<double> y, w;
  for (const Sample& e : s) {
    x.push_back(e.x);
    y.push_back(e.t);
    w.push_back(1 / (e.t * e.t));
  }
  Result<std::vector<double>> beta = WeightedLeastSquares(x, y, w);
  if (!beta.ok()) return beta.status();
  std::vector<double> err;
  for (const Sample& e : s) {
    double p = 0;
    for (size_t j = 0; j < e.x.size(); ++j) p += (*beta)[j] * e.x[j];
    err.push_back(std::fabs(p / e.t - 1));
  }
  std::sort(err.begin(), err.end());
  *median = err[err.size() / 2];
  *p90 = err[err.size() * 9 / 10];
  return beta;
}

}  // namespace

Result<AttentionFit> FitAttention(const std::string& path) {
  Result<CsvTable> table = CsvTable::Read(path);
  if (!table.ok()) return table.status();
  const CsvTable& t = *table;
  if (t.rows() == 0) return Status::InvalidArgument(path + ": no data rows");
  Result<Shape> shape = ReadShape(t);
  if (!shape.ok()) return shape.status();
  Result<Columns> cols = ReadColumns(t);
  if (!cols.ok()) return cols.status();
  const Shape& sh = *shape;
  const double q_bytes_per_token = 2 * sh.heads * sh.head_dim * 2;
  const double kv_bytes_per_token = 2 * sh.kv_heads * sh.head_dim * 2;

  std::vector<Sample> prefill, decode;
  double max_context = 0;
  for (size_t r = 0; r < t.rows(); ++r) {
    Result<bool> is_prefill = t.Bool(r, cols->prefill);
    Result<double> kv = t.Number(r, cols->kv);
    Result<double> batch = t.Number(r, cols->batch);
    if (!is_prefill.ok()) return is_prefill.status();
    if (!kv.ok()) return kv.status();
    if (!batch.ok()) return batch.status();
    Result<double> ms = t.Number(r, *is_prefill ? cols->prefill_ms : cols->decode_ms);
    if (!ms.ok()) return ms.status();
    if (*ms <= 0)
      return t.FieldError(r, *is_prefill ? cols->prefill_ms : cols->decode_ms, "must be > 0");
    const double s = *ms * 1e-3;
    if (*is_prefill) {
      Result<double> chunk = t.Number(r, cols->chunk);
      if (!chunk.ok()) return chunk.status();
      // Prefill rows are one request each (batch_size 1 throughout the table).
      const double c = *chunk;
      max_context = std::max(max_context, *kv + c);
      prefill.push_back({{1, c * q_bytes_per_token, 2 * sh.head_dim * sh.heads * c * c,
                          4 * sh.head_dim * sh.heads * c * *kv},
                         s});
    } else {
      max_context = std::max(max_context, *kv + 1);
      decode.push_back({{1, *batch * *kv * kv_bytes_per_token}, s});
    }
  }
  if (prefill.size() < 8 || decode.size() < 4) {
    return Status::InvalidArgument(path + ": too few prefill or decode rows to fit");
  }
  AttentionFit fit;
  fit.max_context = static_cast<int32_t>(max_context);
  fit.prefill_rows = static_cast<int>(prefill.size());
  fit.decode_rows = static_cast<int>(decode.size());
  Result<std::vector<double>> p = Fit(prefill, &fit.prefill_median_error, &fit.prefill_p90_error);
  if (!p.ok()) return p.status();
  Result<std::vector<double>> d = Fit(decode, &fit.decode_median_error, &fit.decode_p90_error);
  if (!d.ok()) return d.status();
  const std::vector<double>& pb = *p;
  const std::vector<double>& db = *d;
  if (pb[2] <= 0 || pb[3] <= 0 || db[1] <= 0) {
    return Status::InvalidArgument(path + ": attention fit gave a non-positive FLOP or byte cost");
  }
  AttentionCoeffs& a = fit.coeffs;
  a.prefill_floor_s = std::max(0.0, pb[0]);
  a.prefill_s_per_q_byte = std::max(0.0, pb[1]);
  a.causal_flops_per_s = 1 / pb[2];
  a.prefix_flops_per_s = 1 / pb[3];
  a.decode_floor_s = std::max(0.0, db[0]);
  a.kv_bytes_per_s = 1 / db[1];
  return fit;
}

}  // namespace cacheopt
