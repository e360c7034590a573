// The SLO targets of the client's attainment fields. The simulator's targets
// (core/metrics/slo.h, CACHEOPT.md "SLO defaults") are relative to the
// model's solo speed: TTFT SLO = max(1 s, 5 x solo prefill of the prompt),
// TBT SLO = 4x / 8x / 16x the solo decode step at the prompt's length for
// tight / medium / loose, both times slo_scale. A client cannot know the
// server's solo times, so they come from, first to last:
// - --ttft-slo-ms / --tbt-slo-ms (one value, or TIGHT:MEDIUM:LOOSE): as given;
// - --cost-model FILE (a CPU cost profile from `cacheopt profile`): each
//   request's own targets, by the simulator's AssignSlo with that model,
//   exactly what `cacheopt simulate --cost-model FILE` assigns;
// - TTFT otherwise: 1000 ms, the definition's floor, which is the target
//   whenever 5x the solo prefill stays under 1 s (small CPU models at scaled
//   lengths);
// - TBT otherwise: 4 / 8 / 16 x --solo-decode-ms; else 4 / 8 / 16 x the solo
//   decode step the probe measured (probe.h); else unknown, and the TBT
//   attainment fields are left out.
// slo_scale multiplies every target.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "loadgen/request_plan.h"
#include "cacheopt/status.h"

namespace cacheopt::bench {

struct SloTargets {
  std::array<double, 3> ttft_s{1.0, 1.0, 1.0};  // by class: tight, medium, loose
  std::optional<std::array<double, 3>> tbt_s;   // absent: unknown
  // Per request (plan order), from a cost model; empty: by class.
  std::vector<double> request_ttft_s, request_tbt_s;
  std::string source;  // how they were chosen, one line

  // Request i's targets (its class's when there are no per-request ones).
  double Ttft(size_t i, int slo_class) const;
  std::optional<double> Tbt(size_t i, int slo_class) const;
  bool tbt_known() const { return tbt_s.has_value() || !request_tbt_s.empty(); }
};

struct SloFlags {
  std::string ttft_ms;        // "" | "MS" | "T:M:L"
  std::string tbt_ms;         // "" | "MS" | "T:M:L"
  std::string cost_model;     // "" | a CPU cost profile
  double solo_decode_ms = 0;  // > 0: TBT targets are its 4 / 8 / 16 multiples
  double slo_scale = 1.0;
};

// `probe_step_ms`: the probe's solo decode step, if it measured one. `plan`:
// the requests, for per-request targets from --cost-model (null: only check
// the flags and the profile). Errors: a value that is not a positive number
// or three of them, conflicting flags, an unreadable profile.
Result<SloTargets> ResolveSloTargets(const SloFlags& flags, std::optional<double> probe_step_ms,
                                     const std::vector<PlannedRequest>* plan);

// "250" -> {250, 250, 250}; "40:80:160" -> by class. Positive numbers only.
Result<std::array<double, 3>> ParsePerClassMs(const std::string& text, const std::string& flag);

}  // namespace cacheopt::bench
