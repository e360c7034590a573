#include "cost_check/tp_scaling.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "cacheopt/cost/model_spec.h"
#include "calibration/all_reduce_profile.h"
#include "calibration/mlp_profile.h"
#include "calibration/stats.h"
#include "calibration/text_file.h"

namespace cacheopt {
namespace {

constexpr const char* kDistServe = "distserve_profile/profiler-a100-80g.vllm.json";
constexpr const char* kDistServeModel = "facebook/opt-66b";

std::string MlpPath(const std::string& data_dir, const std::string& folder, const ModelSpec& m) {
  const std::string p = data_dir + "/vidur_profiling/compute/" + folder + "/" + m.profile_name + "/mlp.csv";
  return std::filesystem::exists(p + ".xz") ? p + ".xz" : p;
}

// Median over the rows of one setup that `keep` selects, keyed by prompt.
template <typename Keep>
std::map<int, std::pair<double, double>> ByPrompt(const CostCheckReport& c, const std::string& setup, Keep keep) {
  std::map<int, std::pair<double, double>> out;
  for (const CostCheckRow& r : c.rows)
    if (r.setup == setup && !r.suspect && keep(r)) out[r.prompt] = {r.measured_ms, r.predicted_ms};
  return out;
}

std::pair<double, double> MedianRatio(const std::vector<CostCheckRow>& tp2, const std::vector<CostCheckRow>& tp4) {
  std::vector<double> m2, p2, m4, p4;
  for (const auto& r : tp2) m2.push_back(r.measured_ms), p2.push_back(r.predicted_ms);
  for (const auto& r : tp4) m4.push_back(r.measured_ms), p4.push_back(r.predicted_ms);
  if (m2.empty() || m4.empty()) return {0, 0};
  return {Median(m4) / Median(m2), Median(p4) / Median(p2)};
}

Result<DistServeDecodeFit> FitDistServe(const std::string& data_dir) {
  const std::string path = data_dir + "/" + kDistServe;
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.contains(kDistServeModel))
    return Status::InvalidArgument(path + ": no '" + std::string(kDistServeModel) + "' object");
  DistServeDecodeFit f;
  f.model = kDistServeModel;
  for (auto& [tp, v] : j[kDistServeModel].items()) {
    const nlohmann::json& a = v.value("decoding_smallbs", nlohmann::json());
    if (!a.is_array() || a.size() != 3 || !a[0].is_number() || !a[2].is_number())
      return Status::InvalidArgument(path + ": field '" + f.model + "." + tp + ".decoding_smallbs' must be [a, b, c]");
    f.tps.push_back(std::stoi(tp));
    f.intercept_ms.push_back(a[0].get<double>() + a[2].get<double>());  // one sequence
  }
  if (f.tps.size() < 2) return Status::InvalidArgument(path + ": fewer than two TP degrees for " + f.model);
  // Least squares of a = fixed + per_tp * (1/tp).
  double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < f.tps.size(); ++i) {
    const double x = 1.0 / f.tps[i], y = f.intercept_ms[i];
    n += 1, sx += x, sy += y, sxx += x * x, sxy += x * y;
  }
  f.per_tp_ms = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  f.fixed_ms = (sy - f.per_tp_ms * sx) / n;
  for (size_t i = 0; i < f.tps.size(); ++i) {
    const double fit = f.fixed_ms + f.per_tp_ms / f.tps[i];
    f.max_residual = std::max(f.max_residual, std::fabs(fit / f.intercept_ms[i] - 1));
  }
  return f;
}

}  // namespace

Result<TpScalingReport> RunTpScalingCheck(const std::string& data_dir, const CostCheckReport& check) {
  Result<ModelSpec> model = FindModel("llama-2-70b");
  if (!model.ok()) return model.status();
  TpScalingReport rep;
  for (const auto& [gpu, folder] : {std::pair<std::string, std::string>{"a100-80g", "a100"}, {"h100-80g", "h100"}}) {
    TpScalingRow row;
    row.gpu = gpu;
    Result<MlpProfile> p2 = ReadMlpProfile(MlpPath(data_dir, folder, *model), *model, 2);
    if (!p2.ok()) return p2.status();
    Result<MlpProfile> p4 = ReadMlpProfile(MlpPath(data_dir, folder, *model), *model, 4);
    if (!p4.ok()) return p4.status();
    row.vidur_layer_8 = p4->layer_s(8) / p2->layer_s(8);
    row.vidur_layer_4096 = p4->layer_s(4096) / p2->layer_s(4096);
    std::vector<CostCheckRow> d2, d4;
    for (const CostCheckRow& r : check.rows) {
      if (r.suspect || r.kind != "decode" || r.batch != 1) continue;
      if (r.setup == gpu + " tp2") d2.push_back(r);
      if (r.setup == gpu + " tp4") d4.push_back(r);
    }
    std::tie(row.measured_decode, row.predicted_decode) = MedianRatio(d2, d4);
    auto single = [](const CostCheckRow& r) {
      return r.kind == "prefill" && r.batch == 1 && r.prompt >= 512 && r.prompt <= 4096;
    };
    const auto s2 = ByPrompt(check, gpu + " tp2", single), s4 = ByPrompt(check, gpu + " tp4", single);
    std::vector<double> mr, pr;
    for (const auto& [prompt, v4] : s4) {
      auto it = s2.find(prompt);
      if (it == s2.end()) continue;
      mr.push_back(v4.first / it->second.first);
      pr.push_back(v4.second / it->second.second);
    }
    if (!mr.empty()) row.measured_prefill = Median(mr), row.predicted_prefill = Median(pr);
    std::string ar_path = data_dir + "/vidur_profiling/network/" + folder + "_dgx/all_reduce.csv";
    if (std::filesystem::exists(ar_path + ".xz")) ar_path += ".xz";
    Result<PiecewiseLinear> ar2 = ReadAllReduceProfile(ar_path, 2);
    if (!ar2.ok()) return ar2.status();
    Result<PiecewiseLinear> ar4 = ReadAllReduceProfile(ar_path, 4);
    if (!ar4.ok()) return ar4.status();
    const double bytes = 8.0 * model->hidden * 2;
    row.all_reduce_tp2_us = 1e6 * (*ar2)(bytes);
    row.all_reduce_tp4_us = 1e6 * (*ar4)(bytes);
    row.decode_all_reduce_tp4_ms = 2e3 * model->layers * (*ar4)(bytes);
    std::vector<double> meas4, pred4;
    for (const CostCheckRow& r : d4) meas4.push_back(r.measured_ms), pred4.push_back(r.predicted_ms);
    if (!meas4.empty()) row.decode_gap_tp4_ms = Median(meas4) - Median(pred4);
    if (row.decode_all_reduce_tp4_ms > 0)
      row.all_reduce_factor_needed = 1 + row.decode_gap_tp4_ms / row.decode_all_reduce_tp4_ms;
    rep.rows.push_back(row);
  }
  Result<DistServeDecodeFit> ds = FitDistServe(data_dir);
  if (!ds.ok()) return ds.status();
  rep.distserve = *ds;
  return rep;
}

std::string FormatTpScaling(const TpScalingReport& r) {
  std::string out =
      "Llama-2-70B, TP4 time / TP2 time (1.0 = no speed-up, 0.5 = ideal)\n"
      "gpu       vidur_layer@8 vidur_layer@4096 decode_measured decode_predicted prefill_measured "
      "prefill_predicted\n";
  char line[256];
  for (const TpScalingRow& x : r.rows) {
    std::snprintf(line, sizeof(line), "%-9s %13.3f %16.3f %15.3f %16.3f %16.3f %17.3f\n", x.gpu.c_str(),
                  x.vidur_layer_8, x.vidur_layer_4096, x.measured_decode, x.predicted_decode, x.measured_prefill,
                  x.predicted_prefill);
    out += line;
  }
  out += "TP all-reduce (Vidur network/<gpu>_dgx, batch-1 decode message), as the model charges it\n"
         "gpu       ar_tp2_us ar_tp4_us decode_ar_tp4_ms decode_gap_tp4_ms ar_factor_needed\n";
  for (const TpScalingRow& x : r.rows) {
    std::snprintf(line, sizeof(line), "%-9s %9.1f %9.1f %16.2f %17.2f %16.2f\n", x.gpu.c_str(), x.all_reduce_tp2_us,
                  x.all_reduce_tp4_us, x.decode_all_reduce_tp4_ms, x.decode_gap_tp4_ms, x.all_reduce_factor_needed);
    out += line;
  }
  const DistServeDecodeFit& d = r.distserve;
  out += "DistServe vLLM (A100-80GB) " + d.model + " decode, one sequence: a(tp) ms =";
  for (size_t i = 0; i < d.tps.size(); ++i) {
    std::snprintf(line, sizeof(line), " tp%d %.1f", d.tps[i], d.intercept_ms[i]);
    out += line;
  }
  std::snprintf(line, sizeof(line), "\n  fit a = %.1f ms + %.1f ms / tp (max residual %.1f%%)\n", d.fixed_ms,
                d.per_tp_ms, 100 * d.max_residual);
  out += line;
  return out;
}

}  // namespace cacheopt
