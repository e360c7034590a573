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

// The same shapes in the style of a model family (docs/models.md):
//  "llama"   MakeRandomModel's model (Llama 2 / llama2.c);
//  "llama3"  Llama 3: byte-level BPE vocabulary (pre-tokenizer llama-bpe,
//            <|begin_of_text|>, <|eot_id|>, ...), grouped-query attention,
//            RoPE theta 500000 with the "llama3" frequency factors (factor
//            8, low 1, high 4, original context 8192, as llama.cpp's
//            converter computes rope_freqs), an untied classifier, the
//            Llama 3 chat template;
//  "qwen2"   Qwen2: architecture qwen2, BPE with pre-tokenizer qwen2 and no
//            BOS added, Q/K/V biases, half-split RoPE with theta 1e6,
//            RMSNorm eps 1e-6, tied embeddings, the ChatML template;
//  "mistral" Mistral: llama architecture and SentencePiece vocabulary,
//            grouped-query attention, a sliding window of context / 8
//            tokens, the Mistral v1 chat template.
// The extra weights (biases, the classifier) are drawn after the llama ones.
std::vector<std::string> RandomModelStyleNames();
Result<Model> MakeRandomModel(const std::string& config_name, uint64_t seed, const std::string& style);

}  // namespace cacheopt
