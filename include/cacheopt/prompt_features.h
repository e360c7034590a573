// The prompt's hashed n-grams (RequestSpec::prompt_features), which the
// `text` output-length estimator learns from; a real engine computes them at
// submission, the simulator has no text and leaves them empty.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace cacheopt {

// Hashed dimensions of the n-gram features.
inline constexpr int kTextFeatureBits = 12;
inline constexpr uint32_t kTextFeatureDims = uint32_t{1} << kTextFeatureBits;

// The prompt's token unigrams and bigrams hashed into [0, kTextFeatureDims),
// sorted, without repeats (a feature is present or not).
std::vector<uint32_t> PromptFeatures(std::span<const int32_t> tokens);

}  // namespace cacheopt
