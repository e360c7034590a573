#include "sweep/outputs.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sweep/report_html.h"
#include "sweep/summary_md.h"
#include "sweep/summary_svg.h"
#include "sweep/results_csv.h"
#include "sweep/results_json.h"

namespace cacheopt::experiment {
namespace {

Status WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  if (!f) return Status::IoError("cannot write " + path.string());
  f << text;
  f.close();
  if (!f) return Status::IoError("cannot write " + path.string());
  return Status::Ok();
}

}  // namespace

Status WriteExperimentOutputs(const ExperimentResults& r, const std::string& out_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec || !fs::is_directory(out_dir)) return Status::IoError("cannot create --out folder " + out_dir);
  std::ostringstream csv;
  WriteResultsCsv(csv, r);
  if (Status s = WriteFile(fs::path(out_dir) / "results.csv", csv.str()); !s.ok()) return s;
  if (Status s = WriteFile(fs::path(out_dir) / "results.json", ResultsJson(r).dump(2) + "\n"); !s.ok()) return s;
  if (Status s = WriteFile(fs::path(out_dir) / "summary.svg", RenderSummarySvg(r)); !s.ok()) return s;
  if (r.config->ceilings.enabled)
    if (Status s = WriteFile(fs::path(out_dir) / "summary.md", RenderSummaryMarkdown(r)); !s.ok()) return s;
  return WriteFile(fs::path(out_dir) / "report.html", RenderReport(r));
}

}  // namespace cacheopt::experiment
