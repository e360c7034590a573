// The knob settings a soak cycles through for each policy. The soak knows a
// table of settings worth exercising (every estimator from the estimator
// registry, the padding and lending modes, each mechanism switch, ...); a
// policy gets those its registry entry accepts (probed with MakeScheduler),
// so a new policy is soaked with its defaults and every setting it shares,
// without editing the soak.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cacheopt/random/rng.h"

namespace cacheopt::soak {

struct KnobAxis {
  std::string knob;
  std::vector<std::string> values;
};

struct Variant {
  std::string label;                         // "default", "estimator=oracle", "mixed"
  std::map<std::string, std::string> knobs;  // fixed settings
  // A mixed variant draws, per episode, a value for each of these axes (each
  // axis set with probability 1/2, else left at the default).
  std::vector<KnobAxis> mixed_axes;
};

// Every setting the soak knows, whatever the policy.
std::vector<KnobAxis> CandidateAxes();

// `policy`'s variants in cycle order: the defaults, one per accepted
// estimator, then "mixed" (as many times as the others, when the policy
// accepts any setting at all), so half its episodes combine random settings.
std::vector<Variant> PolicyVariants(const std::string& policy);

// The knobs of one episode of `v`.
std::map<std::string, std::string> DrawKnobs(const Variant& v, Rng& rng);

// "k1=v1 k2=v2", or "-" when empty.
std::string KnobsString(const std::map<std::string, std::string>& knobs);

}  // namespace cacheopt::soak
