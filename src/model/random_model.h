// Models with random weights in fixed Llama shapes, for benchmarks and tests
// where the output text does not matter but the compute and memory do.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cacheopt/status.h"
#include "model/model.h"

namespace cacheopt {

// Config names: "micro" (for corruption tests: dim 16, 2 layers, vocab 384),
// "micro256" (dim and hidden 256, 1 layer: every K-quant applies),
// "tiny" (the stories260K shape: dim 64, hidden 172, 5 layers, 8 heads,
// 4 kv heads, vocab 512, context 512), and llama2.c's stories shapes "15m"
// (288/768/6 layers/6 heads), "42m" (512/1376/8/8) and "110m" (768/2048/12/12),
// all with vocab 32000 and context 2048.
std::vector<std::string> RandomModelConfigNames();
// The config alone (no weights); unknown names list the allowed ones.
Result<ModelConfig> RandomModelConfig(const std::string& config_name);

// Weights uniform in +-0.02*sqrt(3) (standard deviation 0.02, as in GPT-2
// style initialisation), RMSNorm weights 1, the classifier shared with the
// token embedding (so "15m" has stories15M's parameter count); the
// vocabulary from MakeRandomVocabulary. Deterministic in (config, seed)
// across platforms. Stop ids {1, 2}; source is "generated:<config>".
Result<Model> MakeRandomModel(const std::string& config_name, uint64_t seed);

}  // namespace cacheopt
