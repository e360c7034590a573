#include "cost_check/cost_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <tuple>

#include "calibration/csv_table.h"
#include "calibration/load_gpu_cost_model.h"
#include "calibration/stats.h"

namespace cacheopt {
namespace {

constexpr const char* kPerfModel = "splitwise_sim_perf_model/perf_model.csv";
constexpr const char* kModelRows = "llama2-70b";
constexpr double kSuspectMargin = 0.9;

struct Setup {
  const char* hardware;  // perf_model.csv's name
  int tp;
  const char* gpu;  // our registry's name
};
constexpr Setup kSetups[] = {{"a100-80gb", 2, "a100-80g"},
                             {"a100-80gb", 4, "a100-80g"},
                             {"h100-80gb", 2, "h100-80g"},
                             {"h100-80gb", 4, "h100-80g"}};

bool IsCalibration(const Setup& s, const CostCheckRow& r) {
  if (std::string(s.gpu) != "a100-80g" || s.tp != 2 || r.batch != 1) return false;
  return r.kind == "decode" || r.prompt == 512 || r.prompt == 2048 || r.prompt == 4096;
}

// (prompt, batch, output); output is 0 for prefill groups.
using Key = std::tuple<int, int, int>;

struct Grouped {
  std::map<Key, std::vector<double>> prefill, decode;
};

Result<std::map<std::pair<std::string, int>, Grouped>> ReadPerfModel(const std::string& path) {
  Result<CsvTable> table = CsvTable::Read(path);
  if (!table.ok()) return table.status();
  const CsvTable& t = *table;
  const char* names[] = {"model",      "hardware",    "prompt_size", "batch_size",
                         "token_size", "prompt_time", "token_time",  "tensor_parallel"};
  int c[8];
  for (int i = 0; i < 8; ++i) {
    Result<int> col = t.Column(names[i]);
    if (!col.ok()) return col.status();
    c[i] = *col;
  }
  std::map<std::pair<std::string, int>, Grouped> out;
  for (size_t r = 0; r < t.rows(); ++r) {
    if (t.Field(r, c[0]) != kModelRows) continue;
    double v[6];
    for (int i = 0; i < 6; ++i) {
      Result<double> n = t.Number(r, c[i + 2]);
      if (!n.ok()) return n.status();
      if (*n <= 0) return t.FieldError(r, c[i + 2], "must be > 0");
      v[i] = *n;
    }
    Grouped& g = out[{t.Field(r, c[1]), static_cast<int>(v[5])}];
    const int prompt = static_cast<int>(v[0]), batch = static_cast<int>(v[1]);
    g.prefill[{prompt, batch, 0}].push_back(v[3]);
    g.decode[{prompt, batch, static_cast<int>(v[2])}].push_back(v[4]);
  }
  return out;
}

// Batch tokens of work, to spot rows measured faster than lighter ones.
double Work(const CostCheckRow& r) {
  return static_cast<double>(r.batch) * (r.kind == "prefill" ? r.prompt : r.context);
}

void MarkSuspects(std::vector<CostCheckRow>* rows) {
  for (CostCheckRow& r : *rows) {
    for (const CostCheckRow& o : *rows) {
      if (o.setup == r.setup && o.kind == r.kind && Work(o) < Work(r) &&
          r.measured_ms < kSuspectMargin * o.measured_ms) {
        r.suspect = true;
      }
    }
  }
}

}  // namespace

Result<CostCheckReport> RunCostCheck(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kPerfModel;
  auto groups = ReadPerfModel(path);
  if (!groups.ok()) return groups.status();
  CostCheckReport report;
  for (const Setup& s : kSetups) {
    auto it = groups->find({s.hardware, s.tp});
    if (it == groups->end()) {
      return Status::InvalidArgument(path + ": no " + kModelRows + " rows for " + s.hardware +
                                     " TP " + std::to_string(s.tp));
    }
    GpuCostModelOptions opt;
    opt.model = "llama-2-70b";
    opt.gpu = s.gpu;
    opt.tp = s.tp;
    opt.data_dir = data_dir;
    opt.allow_fallback = false;
    Result<std::unique_ptr<GpuCostModel>> model = LoadGpuCostModel(opt);
    if (!model.ok()) return model.status();
    const std::string setup = std::string(s.gpu) + " tp" + std::to_string(s.tp);
    for (const char* kind : {"prefill", "decode"}) {
      const bool prefill = std::string(kind) == "prefill";
      for (const auto& [key, ms] : prefill ? it->second.prefill : it->second.decode) {
        CostCheckRow r;
        r.setup = setup;
        r.kind = kind;
        std::tie(r.prompt, r.batch, r.output) = key;
        r.context = prefill ? 0 : r.prompt + r.output / 2;
        r.samples = static_cast<int>(ms.size());
        r.measured_ms = Median(ms);
        const SeqWork w = prefill ? SeqWork{r.prompt, 0} : SeqWork{1, r.context};
        const std::vector<SeqWork> batch(r.batch, w);
        r.predicted_ms = 1e3 * (*model)->StepTime(batch);
        r.error = r.predicted_ms / r.measured_ms - 1;
        r.calibration = IsCalibration(s, r);
        report.rows.push_back(r);
      }
    }
  }
  MarkSuspects(&report.rows);
  std::vector<double> held;
  for (const CostCheckRow& r : report.rows) {
    const double e = std::fabs(r.error);
    if (r.calibration) {
      report.max_calibration_error = std::max(report.max_calibration_error, e);
    } else if (!r.suspect) {
      report.max_heldback_error = std::max(report.max_heldback_error, e);
      held.push_back(e);
    }
  }
  if (!held.empty()) report.median_heldback_error = Median(held);
  return report;
}

std::string FormatCostCheck(const CostCheckReport& report) {
  std::string out =
      "Llama-2-70B vs SplitwiseSim perf_model.csv (medians of repeated rows)\n"
      "setup         kind     prompt batch output context  n  measured_ms predicted_ms  error  "
      "role\n";
  char line[200];
  for (const CostCheckRow& r : report.rows) {
    const char* role =
        r.calibration ? "calibration" : (r.suspect ? "held-back, suspect" : "held-back");
    std::snprintf(line, sizeof(line), "%-13s %-8s %6d %5d %6d %7d %2d %12.1f %12.1f %+6.1f%%  %s\n",
                  r.setup.c_str(), r.kind.c_str(), r.prompt, r.batch, r.output, r.context,
                  r.samples, r.measured_ms, r.predicted_ms, 100 * r.error, role);
    out += line;
  }
  std::snprintf(line, sizeof(line),
                "max |error|: calibration %.1f%%; held-back (not suspect) %.1f%%, median %.1f%%\n",
                100 * report.max_calibration_error, 100 * report.max_heldback_error,
                100 * report.median_heldback_error);
  out += line;
  return out;
}

}  // namespace cacheopt
