// Checks the assembled GPU cost model against independent end-to-end
// measurements: SplitwiseSim's Llama-2-70B runs on DGX-A100 and DGX-H100
// (splitwise_sim_perf_model/perf_model.csv). The A100 TP2 batch-1 rows are
// the calibration set; the rest are held back and only reported.
#pragma once

#include <string>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

struct CostCheckRow {
  std::string setup;  // "a100-80g tp2"
  std::string kind;   // "prefill" | "decode"
  int prompt = 0;     // prompt tokens per request
  int batch = 0;      // requests in the (static) batch
  int output = 0;     // decode rows: the run's output tokens
  int context = 0;    // decode rows: context per request, prompt + output/2
  int samples = 0;    // measurements whose median is `measured_ms`
  double measured_ms = 0;
  double predicted_ms = 0;
  double error = 0;  // predicted / measured - 1
  bool calibration = false;
  // Measured faster than a row of the same setup and kind with less work,
  // by more than 10% (the README notes such rows): reported, not trusted.
  bool suspect = false;
};

struct CostCheckReport {
  std::vector<CostCheckRow> rows;
  double max_calibration_error = 0;  // max |error| over calibration rows
  double max_heldback_error = 0;     // max |error| over held-back rows not suspect
  double median_heldback_error = 0;  // median |error| over the same
};

// Reads <data_dir>/splitwise_sim_perf_model/perf_model.csv and the Vidur
// profiles under <data_dir>/vidur_profiling; every file must be present.
Result<CostCheckReport> RunCostCheck(const std::string& data_dir);

// A fixed-width text table of every row and a summary.
std::string FormatCostCheck(const CostCheckReport& report);

}  // namespace cacheopt
