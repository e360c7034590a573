#include "sweep/results_csv.h"

#include <charconv>
#include <cmath>

#include "sweep/json_fields.h"
#include "sweep/metrics.h"

namespace cacheopt::experiment {

const std::vector<std::string>& CsvKeyColumns() {
  static const std::vector<std::string> kCols = {
      "run",          "setup",        "model",       "gpu",       "tp",          "trace",    "arrival",
      "arrival_cv",   "policy_label", "policy",      "knobs",     "token_budget", "block_size",
      "device_blocks", "requests", "seed",        "slo_scale", "load_multiple", "rate_rps", "sections",
      "status",       "wall_s",       "cpu_s"};
  return kCols;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string NumberText(double v) {
  if (!std::isfinite(v)) return "";
  if (v == std::trunc(v) && std::fabs(v) < 9e15) return std::to_string(static_cast<long long>(v));
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, res.ptr);
}

void WriteResultsCsv(std::ostream& os, const ExperimentResults& r) {
  const ExperimentConfig& c = *r.config;
  std::string header;
  for (const auto& col : CsvKeyColumns()) header += (header.empty() ? "" : ",") + col;
  for (const auto& m : RunMetrics()) header += std::string(",") + m.name;
  os << header << "\n";
  for (size_t i = 0; i < r.runs.size(); ++i) {
    const RunRecord& run = r.runs[i];
    const RunSpec& s = run.spec;
    const SetupSpec& setup = c.setups[s.setup];
    const SetupRecord& rec = r.setups[s.setup];
    std::string sections;
    for (const auto& x : s.sections) sections += (sections.empty() ? "" : ";") + x;
    std::string arrival = setup.arrival ? std::string(ArrivalKindName(*setup.arrival))
                                        : std::string(rec.trace_timestamps ? "replay" : "poisson");
    std::vector<std::string> f = {
        std::to_string(i),
        setup.name,
        setup.model,
        setup.gpu,
        std::to_string(setup.tp),
        setup.trace,
        arrival,
        arrival == "gamma" ? NumberText(setup.arrival_cv) : "",
        s.variant.label,
        s.variant.policy,
        s.variant.KnobText(),
        s.variant.token_budget > 0 ? std::to_string(s.variant.token_budget) : "",
        run.block_size > 0 ? std::to_string(run.block_size) : "",
        run.device_blocks > 0 ? std::to_string(run.device_blocks) : "",
        std::to_string(run.ok() ? run.workload_requests : s.requests),
        std::to_string(s.seed),
        NumberText(s.slo_scale),
        NumberText(s.multiple),
        run.ok() || run.rate_rps > 0 ? NumberText(run.rate_rps) : "",
        sections,
        run.ok() ? "ok" : run.status.message(),
        s.timed && run.ok() ? NumberText(run.wall_s) : "",
        s.timed && run.ok() ? NumberText(run.cpu_s) : "",
    };
    std::string line;
    for (size_t k = 0; k < f.size(); ++k) line += (k ? "," : "") + CsvField(f[k]);
    for (const auto& m : RunMetrics()) line += "," + (run.ok() ? NumberText(m.get(run)) : std::string());
    os << line << "\n";
  }
}

}  // namespace cacheopt::experiment
