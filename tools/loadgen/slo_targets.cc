#include "loadgen/slo_targets.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "cacheopt/metrics/slo.h"
#include "cacheopt/util/short_number.h"
#include "calibration/cpu_cost_profile.h"

namespace cacheopt::bench {
namespace {

std::optional<double> PositiveNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !(v > 0) || !std::isfinite(v)) return std::nullopt;
  return v;
}

// Seconds by class, as "T / M / L ms".
std::string TripleMs(const std::array<double, 3>& s) {
  return ShortNumber(s[0] * 1e3) + " / " + ShortNumber(s[1] * 1e3) + " / " + ShortNumber(s[2] * 1e3) + " ms";
}

// "a .. b ms" over a request's targets.
std::string RangeMs(const std::vector<double>& s) {
  double lo = s.front(), hi = s.front();
  for (double x : s) {
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  return ShortNumber(lo * 1e3) + " .. " + ShortNumber(hi * 1e3) + " ms";
}

}  // namespace

double SloTargets::Ttft(size_t i, int slo_class) const {
  if (i < request_ttft_s.size()) return request_ttft_s[i];
  return ttft_s[static_cast<size_t>(std::clamp(slo_class, 0, 2))];
}

std::optional<double> SloTargets::Tbt(size_t i, int slo_class) const {
  if (i < request_tbt_s.size()) return request_tbt_s[i];
  if (!tbt_s) return std::nullopt;
  return (*tbt_s)[static_cast<size_t>(std::clamp(slo_class, 0, 2))];
}

Result<std::array<double, 3>> ParsePerClassMs(const std::string& text, const std::string& flag) {
  const Status bad =
      Status::InvalidArgument(flag + " expects milliseconds > 0, one value or TIGHT:MEDIUM:LOOSE, got '" + text + "'");
  std::array<double, 3> out{};
  if (text.find(':') == std::string::npos) {
    auto v = PositiveNumber(text);
    if (!v) return bad;
    out.fill(*v);
    return out;
  }
  std::istringstream in(text);
  std::string part;
  size_t n = 0;
  while (std::getline(in, part, ':')) {
    if (n == 3) return bad;
    auto v = PositiveNumber(part);
    if (!v) return bad;
    out[n++] = *v;
  }
  if (n != 3 || text.back() == ':') return bad;
  return out;
}

Result<SloTargets> ResolveSloTargets(const SloFlags& f, std::optional<double> probe_step_ms,
                                     const std::vector<PlannedRequest>* plan) {
  if (!(f.slo_scale > 0) || !std::isfinite(f.slo_scale))
    return Status::InvalidArgument("--slo-scale must be a finite number > 0, got " + ShortNumber(f.slo_scale));
  if (f.solo_decode_ms < 0 || !std::isfinite(f.solo_decode_ms))
    return Status::InvalidArgument("--solo-decode-ms must be > 0, got " + ShortNumber(f.solo_decode_ms));
  if (f.solo_decode_ms > 0 && !f.tbt_ms.empty())
    return Status::InvalidArgument("give --tbt-slo-ms or --solo-decode-ms, not both");
  if (f.solo_decode_ms > 0 && !f.cost_model.empty())
    return Status::InvalidArgument("give --cost-model or --solo-decode-ms, not both");
  SloOptions sim;  // the simulator's multiples
  sim.slo_scale = f.slo_scale;
  SloTargets t;
  std::string ttft_source = "the definition's 1 s floor";
  std::string tbt_source;

  std::optional<std::array<double, 3>> ttft_ms;
  if (!f.ttft_ms.empty()) {
    auto v = ParsePerClassMs(f.ttft_ms, "--ttft-slo-ms");
    if (!v.ok()) return v.status();
    ttft_ms = *v;
    ttft_source = "--ttft-slo-ms";
  }
  std::optional<std::array<double, 3>> tbt_ms;
  if (!f.tbt_ms.empty()) {
    auto v = ParsePerClassMs(f.tbt_ms, "--tbt-slo-ms");
    if (!v.ok()) return v.status();
    tbt_ms = *v;
    tbt_source = "--tbt-slo-ms";
  }

  for (size_t c = 0; c < 3; ++c) t.ttft_s[c] = (ttft_ms ? (*ttft_ms)[c] : sim.ttft_floor_s * 1e3) * f.slo_scale / 1e3;
  if (tbt_ms) {
    t.tbt_s = std::array<double, 3>{};
    for (size_t c = 0; c < 3; ++c) (*t.tbt_s)[c] = (*tbt_ms)[c] * f.slo_scale / 1e3;
  }

  if (!f.cost_model.empty()) {
    auto profile = ReadCpuCostProfile(f.cost_model);
    if (!profile.ok()) return Status::InvalidArgument("--cost-model: " + profile.status().message());
    const auto cost = MakeProfiledCostModel(*profile);
    if (plan != nullptr) {
      for (const PlannedRequest& p : *plan) {
        RequestSpec spec;
        spec.prompt_tokens = p.prompt_tokens;
        spec.slo_class = static_cast<SloClass>(std::clamp(p.slo_class, 0, 2));
        AssignSlo(&spec, *cost, sim);
        if (!ttft_ms) t.request_ttft_s.push_back(spec.ttft_slo_s);
        if (!tbt_ms) t.request_tbt_s.push_back(spec.tbt_slo_s);
      }
    }
    const std::string from = "per request, as the simulator assigns them with --cost-model " + f.cost_model;
    if (!ttft_ms) ttft_source = from;
    if (!tbt_ms) tbt_source = from;
  } else if (!tbt_ms) {
    double solo = f.solo_decode_ms;
    tbt_source = "4x / 8x / 16x --solo-decode-ms " + ShortNumber(solo) + " ms";
    if (solo == 0 && probe_step_ms && *probe_step_ms > 0) {
      solo = *probe_step_ms;
      tbt_source = "4x / 8x / 16x the probe's solo decode step (" + ShortNumber(solo) + " ms)";
    }
    if (solo > 0) {
      t.tbt_s = std::array<double, 3>{};
      for (size_t c = 0; c < 3; ++c) (*t.tbt_s)[c] = sim.tbt_multiple[c] * solo * f.slo_scale / 1e3;
    }
  }

  std::ostringstream src;
  src << "TTFT " << (t.request_ttft_s.empty() ? TripleMs(t.ttft_s) : RangeMs(t.request_ttft_s)) << " (" << ttft_source
      << ")";
  if (!t.request_tbt_s.empty()) {
    src << "; TBT " << RangeMs(t.request_tbt_s) << " (" << tbt_source << ")";
  } else if (t.tbt_s) {
    src << "; TBT " << TripleMs(*t.tbt_s) << " (" << tbt_source << ")";
  } else if (!f.cost_model.empty()) {
    src << "; TBT (" << tbt_source << ")";
  } else {
    src << "; TBT unknown (give --tbt-slo-ms, --cost-model or --solo-decode-ms, or let the probe run)";
  }
  if (f.slo_scale != 1.0) src << "; x slo-scale " << ShortNumber(f.slo_scale);
  t.source = src.str();
  return t;
}

}  // namespace cacheopt::bench
