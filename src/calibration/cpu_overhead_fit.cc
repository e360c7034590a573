#include "calibration/cpu_overhead_fit.h"

#include <algorithm>
#include <vector>

#include "calibration/csv_table.h"
#include "calibration/least_squares.h"

namespace cacheopt {

Result<OverheadFit> FitCpuOverhead(const std::string& path, const std::string& model_name) {
  Result<CsvTable> table = CsvTable::Read(path);
  if (!table.ok()) return table.status();
  const CsvTable& t = *table;
  const char* parts[] = {"schedule_median", "sampler_e2e_median", "prepare_inputs_e2e_median",
                         "process_model_outputs_median"};
  std::vector<int> part_cols;
  for (const char* p : parts) {
    Result<int> c = t.Column(p);
    if (!c.ok()) return c.status();
    part_cols.push_back(*c);
  }
  Result<int> batch_col = t.Column("batch_size");
  Result<int> model_col = t.Column("model_name");
  if (!batch_col.ok()) return batch_col.status();
  if (!model_col.ok()) return model_col.status();

  std::vector<std::vector<double>> all_x, own_x;
  std::vector<double> all_y, own_y;
  for (size_t r = 0; r < t.rows(); ++r) {
    Result<double> batch = t.Number(r, *batch_col);
    if (!batch.ok()) return batch.status();
    if (*batch < 1) return t.FieldError(r, *batch_col, "must be >= 1");
    double ms = 0;
    for (int c : part_cols) {
      Result<double> v = t.Number(r, c);
      if (!v.ok()) return v.status();
      ms += *v;
    }
    all_x.push_back({1, *batch});
    all_y.push_back(ms * 1e-3);
    if (t.Field(r, *model_col) == model_name) {
      own_x.push_back({1, *batch});
      own_y.push_back(ms * 1e-3);
    }
  }
  OverheadFit fit;
  fit.model_rows = own_x.size() >= 3;
  const auto& x = fit.model_rows ? own_x : all_x;
  const auto& y = fit.model_rows ? own_y : all_y;
  if (x.size() < 2) return Status::InvalidArgument(path + ": fewer than 2 rows to fit");
  Result<std::vector<double>> beta = WeightedLeastSquares(x, y, std::vector<double>(y.size(), 1));
  if (!beta.ok()) return Status::InvalidArgument(path + ": " + beta.status().message());
  fit.rows = static_cast<int>(x.size());
  fit.coeffs.step_s = std::max(0.0, (*beta)[0]);
  fit.coeffs.per_seq_s = std::max(0.0, (*beta)[1]);
  return fit;
}

}  // namespace cacheopt
