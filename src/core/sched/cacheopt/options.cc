#include "core/sched/cacheopt/options.h"

#include <sstream>

#include "cacheopt/util/names.h"
#include "core/sched/knobs.h"

namespace cacheopt {

const std::vector<std::string>& CacheOptKnobNames() {
  static const std::vector<std::string> k = {
      "estimator", "noise_spread", "padding", "hoeffding_n", "alpha", "beta", "p_min", "p_max",
      "rate_tau_s", "lending", "lend_buffer_blocks", "preallocate_iterations", "reserve_blocks",
      "max_preemptions", "min_prefill_chunk", "urgent_chunk", "late_last", "urgent_overcommit", "gap_guard", "disable", "prior_tokens", "residual_window"};
  return k;
}

namespace {

template <typename T>
Status Read(const std::map<std::string, std::string>& knobs, const std::string& key, T* out, double lo,
            double hi) {
  Result<double> v = KnobDouble(knobs, key, static_cast<double>(*out));
  if (!v.ok()) return v.status();
  if (*v < lo || *v > hi) {
    std::ostringstream os;
    os << "knob " << key << "=" << *v << " is out of range [" << lo << ", " << hi << "]";
    return Status::InvalidArgument(os.str());
  }
  *out = static_cast<T>(*v);
  return Status::Ok();
}

}  // namespace

Result<CacheOptOptions> ParseCacheOptOptions(const std::map<std::string, std::string>& knobs) {
  CacheOptOptions o;
  Status s;
  auto check = [&](Status st) {
    if (s.ok() && !st.ok()) s = st;
  };
  if (auto it = knobs.find("estimator"); it != knobs.end()) o.estimator.name = it->second;
  if (auto it = knobs.find("padding"); it != knobs.end()) {
    if (it->second == "conformal") {
      o.padding.mode = PaddingMode::kConformal;
    } else if (it->second == "hoeffding") {
      o.padding.mode = PaddingMode::kHoeffding;
    } else {
      return UnknownName("padding mode", it->second, {"conformal", "hoeffding"});
    }
  }
  if (auto it = knobs.find("lending"); it != knobs.end()) {
    if (it->second == "pairwise") {
      o.lending = LendingMode::kPairwise;
    } else if (it->second == "peak") {
      o.lending = LendingMode::kPeak;
    } else if (it->second == "off") {
      o.lending = LendingMode::kOff;
    } else {
      return UnknownName("lending mode", it->second, {"pairwise", "peak", "off"});
    }
  }
  check(Read(knobs, "noise_spread", &o.estimator.noise_spread, 0, 5));
  check(Read(knobs, "prior_tokens", &o.estimator.prior_tokens, 1, 1e6));
  check(Read(knobs, "residual_window", &o.estimator.residual_window, 10, 1e6));
  check(Read(knobs, "hoeffding_n", &o.padding.hoeffding_n, 1, 1e6));
  check(Read(knobs, "alpha", &o.coverage.alpha, 0, 1));
  check(Read(knobs, "beta", &o.coverage.beta, 0, 100));
  check(Read(knobs, "p_min", &o.coverage.p_min, 0, 1));
  check(Read(knobs, "p_max", &o.coverage.p_max, 0, 0.9999));
  check(Read(knobs, "rate_tau_s", &o.rate_tau_s, 0.1, 1e5));
  check(Read(knobs, "lend_buffer_blocks", &o.lend_buffer_blocks, 0, 1e6));
  check(Read(knobs, "preallocate_iterations", &o.preallocate_iterations, 0, 1000));
  check(Read(knobs, "reserve_blocks", &o.reserve_blocks, -1, 1e8));
  check(Read(knobs, "max_preemptions", &o.max_preemptions, 0, 1000));
  check(Read(knobs, "min_prefill_chunk", &o.min_prefill_chunk, 1, 1e6));
  check(Read(knobs, "urgent_chunk", &o.urgent_chunk, 1, 1e6));
  check(Read(knobs, "late_last", &o.late_last, 0, 1));
  check(Read(knobs, "urgent_overcommit", &o.urgent_overcommit, 0, 1));
  check(Read(knobs, "gap_guard", &o.gap_guard, 0, 1));
  if (!s.ok()) return s;
  if (o.coverage.p_min > o.coverage.p_max) return Status::InvalidArgument("knob p_min must be <= p_max");
  if (auto it = knobs.find("disable"); it != knobs.end()) {
    static const std::vector<std::string> kSwitches = {"padding", "lending", "proactive", "reserve",
                                                       "victim", "strategy", "slo-batching"};
    std::string list = it->second;
    size_t start = 0;
    while (start <= list.size()) {
      size_t comma = list.find(',', start);
      std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      start = comma == std::string::npos ? list.size() + 1 : comma + 1;
      if (name.empty()) continue;
      if (name == "padding") o.padding_on = false;
      else if (name == "lending") o.lending_on = false;
      else if (name == "proactive") o.proactive_on = false;
      else if (name == "reserve") o.reserve_on = false;
      else if (name == "victim") o.victim_on = false;
      else if (name == "strategy") o.strategy_on = false;
      else if (name == "slo-batching") o.slo_batching_on = false;
      else return UnknownName("mechanism in disable", name, kSwitches);
    }
  }
  return o;
}

}  // namespace cacheopt
