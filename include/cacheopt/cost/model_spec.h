// Transformer shapes of the models the simulator can price, and the registry
// that maps a short name ("llama-2-7b") to one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cacheopt/status.h"

namespace cacheopt {

struct ModelSpec {
  std::string name;          // registry key, e.g. "llama-2-7b"
  std::string profile_name;  // Vidur's folder under compute/<gpu>/, e.g. "meta-llama/Llama-2-7b-hf"
  int32_t layers = 0;
  int32_t hidden = 0;
  int32_t heads = 0;
  int32_t kv_heads = 0;
  int32_t ffn = 0;        // MLP inner width
  int32_t vocab = 0;      // the real vocabulary (Vidur pads Llama-2 to 32768)
  int32_t context = 0;    // max positions
  bool gated_mlp = true;  // SwiGLU: three FFN matrices; false (phi-2): two
  int32_t kv_cache_bytes = 2;  // bytes per cached K/V element: 2 (fp16, vLLM's "auto"), 1 (fp8)

  int32_t head_dim() const { return hidden / heads; }
  // Query / KV heads one TP shard holds; KV heads are replicated when tp > kv_heads.
  int32_t HeadsPerShard(int tp) const { return heads / tp; }
  int32_t KvHeadsPerShard(int tp) const { return (kv_heads + tp - 1) / tp; }

  // Weights of one decoder layer on one TP shard (attention + MLP matrices).
  int64_t LayerMatrixParams(int tp) const;
  // All parameters: embeddings, LM head (untied in every model here), layers,
  // norms. Biases are left out (<0.1% for these models).
  int64_t ParamCount() const;
  // fp16 K and V of one token on one TP shard, all layers.
  int64_t KvBytesPerToken(int tp) const;
};

// Looks up a model by registry name; unknown names list the valid ones.
Result<ModelSpec> FindModel(std::string_view name);
std::vector<std::string> ModelNames();

}  // namespace cacheopt
