#include "calibration/speed_check.h"

#include <algorithm>

namespace cacheopt {
namespace {

bool SameBatch(const std::vector<SeqWork>& a, const std::vector<SeqWork>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const SeqWork& x, const SeqWork& y) {
    return x.num_tokens == y.num_tokens && x.context_before == y.context_before;
  });
}

}  // namespace

std::vector<std::vector<SeqWork>> SpeedCheckShapes(const CpuCostProfile& base, int max_shapes, double min_s,
                                                    double max_s) {
  std::vector<const CpuProfileStep*> in_range;
  for (const CpuProfileStep& s : base.steps)
    if (s.seconds >= min_s && s.seconds <= max_s) in_range.push_back(&s);
  std::stable_sort(in_range.begin(), in_range.end(),
                   [](const CpuProfileStep* a, const CpuProfileStep* b) { return a->seconds < b->seconds; });
  std::vector<std::vector<SeqWork>> out;
  const size_t n = in_range.size();
  const size_t k = std::min(n, static_cast<size_t>(std::max(0, max_shapes)));
  for (size_t i = 0; i < k; ++i) {
    // Evenly spaced ranks, both ends included.
    const size_t at = k == 1 ? n / 2 : i * (n - 1) / (k - 1);
    out.push_back(in_range[at]->seqs);
  }
  return out;
}

Result<double> SpeedFactor(const CpuCostProfile& base, const CpuCostProfile& now, const std::string& now_source) {
  std::vector<double> ratios;
  for (const CpuProfileStep& s : now.steps) {
    for (const CpuProfileStep& b : base.steps) {
      if (b.seconds > 0 && SameBatch(s.seqs, b.seqs)) {
        ratios.push_back(s.seconds / b.seconds);
        break;
      }
    }
  }
  if (ratios.empty())
    return Status::InvalidArgument(now_source + ": steps: none of its batches is among the base profile's (" +
                                   base.model_path + "); time them with cacheopt profile --shapes-of");
  std::sort(ratios.begin(), ratios.end());
  const size_t m = ratios.size();
  return m % 2 == 1 ? ratios[m / 2] : 0.5 * (ratios[m / 2 - 1] + ratios[m / 2]);
}

CpuCostProfile ScaledProfile(const CpuCostProfile& p, double factor) {
  CpuCostProfile out = p;
  for (double& c : out.coeffs) c *= factor;
  out.copy_bytes_per_s /= factor;
  for (CpuProfileStep& s : out.steps) s.seconds *= factor;
  for (CpuProfileCopy& c : out.copies) c.seconds *= factor;
  return out;
}

}  // namespace cacheopt
