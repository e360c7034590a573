#include "calibration/all_reduce_profile.h"

#include <map>
#include <vector>

#include "calibration/csv_table.h"
#include "calibration/stats.h"

namespace cacheopt {
namespace {

constexpr int kHalfWindow = 15;

}  // namespace

Result<PiecewiseLinear> ReadAllReduceProfile(const std::string& path, int tp) {
  Result<CsvTable> table = CsvTable::Read(path);
  if (!table.ok()) return table.status();
  const CsvTable& t = *table;
  Result<int> size_col = t.Column("size");
  Result<int> workers_col = t.Column("num_workers");
  Result<int> per_node_col = t.Column("devices_per_node");
  Result<int> time_col = t.Column("time_stats.all_reduce.median");
  for (const Result<int>* c : {&size_col, &workers_col, &per_node_col, &time_col}) {
    if (!c->ok()) return c->status();
  }
  std::map<double, std::vector<double>> by_size;  // bytes -> ms samples
  for (size_t r = 0; r < t.rows(); ++r) {
    Result<double> workers = t.Number(r, *workers_col);
    Result<double> per_node = t.Number(r, *per_node_col);
    if (!workers.ok()) return workers.status();
    if (!per_node.ok()) return per_node.status();
    if (*workers != tp || *per_node != tp) continue;
    Result<double> bytes = t.Number(r, *size_col);
    Result<double> ms = t.Number(r, *time_col);
    if (!bytes.ok()) return bytes.status();
    if (!ms.ok()) return ms.status();
    if (*bytes <= 0) return t.FieldError(r, *size_col, "must be > 0");
    if (*ms < 0) return t.FieldError(r, *time_col, "must be >= 0");
    by_size[*bytes].push_back(*ms);
  }
  if (by_size.size() < 2) {
    return Status::NotFound(path + ": fewer than 2 message sizes for " + std::to_string(tp) +
                            " workers on one node");
  }
  std::vector<double> xs, ys;
  for (const auto& [bytes, ms] : by_size) {
    xs.push_back(bytes);
    ys.push_back(Median(ms) * 1e-3);
  }
  ys = RunningMedian(ys, kHalfWindow);
  MakeNonDecreasing(&ys);
  return PiecewiseLinear(std::move(xs), std::move(ys));
}

}  // namespace cacheopt
