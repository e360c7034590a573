// A Llama-architecture model in memory: its hyper-parameters, fp32 weights
// and tokenizer. Loaders (llama2.c checkpoints, GGUF) fill it; the CPU
// executor reads it. Weights are row-major [out][in], as llama2.c stores them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace cacheopt {

struct ModelConfig {
  int32_t dim = 0;          // embedding width
  int32_t hidden_dim = 0;   // SwiGLU inner width
  int32_t n_layers = 0;
  int32_t n_heads = 0;
  int32_t n_kv_heads = 0;   // < n_heads: grouped-query attention
  int32_t vocab_size = 0;
  int32_t context = 0;      // usable context (after any override)
  int32_t file_context = 0; // context the file declares
  float rms_eps = 1e-5f;
  float rope_theta = 10000.0f;
  int32_t bos_id = 1;
  int32_t eos_id = 2;
  // Tokens that end a sequence (llama2.c's stories models end on BOS = 1).
  std::vector<int32_t> stop_ids;

  // Architecture details from GGUF metadata (docs/models.md); the defaults
  // are llama2.c's, so a llama2.c checkpoint needs none of them.
  std::string architecture = "llama";  // general.architecture
  // Which elements RoPE rotates together: llama.cpp's "norm" (adjacent
  // pairs, the llama files whose Q/K converters permute) or "neox" (element
  // i with i + head_size/2, as Qwen2 files keep them).
  enum class RopeStyle : int8_t { kAdjacentPairs, kHalfSplit };
  RopeStyle rope_style = RopeStyle::kAdjacentPairs;
  // Linear RoPE scaling (rope.scaling.type = linear): positions times this,
  // 1 / rope.scaling.factor. Llama 3's "llama3" scaling is per-frequency
  // instead: ModelWeights::rope_freq_factors.
  float rope_freq_scale = 1.0f;
  // > 0: a token attends to the last sliding_window positions only (itself
  // included), as Mistral's <arch>.attention.sliding_window; 0: all.
  int32_t sliding_window = 0;

  int32_t head_size() const { return dim / n_heads; }
  int32_t kv_dim() const { return n_kv_heads * head_size(); }
};

// A weight matrix kept in its file's storage type (GGUF blocks, see
// model/ggml_blocks.h), row-major [rows][cols]: quantized models are not
// widened to fp32 in memory.
struct QuantMatrix {
  uint32_t type = 0;          // ggml type id
  int32_t rows = 0;
  int32_t cols = 0;
  uint64_t row_bytes = 0;
  std::vector<uint8_t> data;  // rows * row_bytes

  bool empty() const { return data.empty(); }
  const uint8_t* row(int64_t r) const { return data.data() + r * row_bytes; }
};

// Per-layer weights, each row-major [out][in].
struct LayerWeights {
  std::vector<float> rms_att;  // [dim]
  std::vector<float> wq;       // [dim][dim]
  std::vector<float> wk;       // [kv_dim][dim]
  std::vector<float> wv;       // [kv_dim][dim]
  std::vector<float> wo;       // [dim][dim]
  std::vector<float> rms_ffn;  // [dim]
  std::vector<float> w1;       // [hidden][dim]
  std::vector<float> w2;       // [dim][hidden]
  std::vector<float> w3;       // [hidden][dim]
  // Quantized storage: where one is set, the fp32 vector of the same name is
  // empty (GGUF files with BF16 or quantized matrices).
  QuantMatrix wq_q, wk_q, wv_q, wo_q, w1_q, w2_q, w3_q;
  // Optional biases (Qwen2 has Q/K/V biases); empty when the file has none.
  std::vector<float> bq;       // [dim]
  std::vector<float> bk;       // [kv_dim]
  std::vector<float> bv;       // [kv_dim]
  std::vector<float> bo;       // [dim]
};

struct ModelWeights {
  std::vector<float> token_embedding;  // [vocab][dim]
  std::vector<LayerWeights> layers;
  std::vector<float> rms_final;        // [dim]
  std::vector<float> wcls;             // [vocab][dim]; a copy when shared
  // Quantized storage, as in LayerWeights. A quantized model whose wcls and
  // wcls_q are both empty shares the embedding as its classifier.
  QuantMatrix token_embedding_q, wcls_q;
  // GGUF rope_freqs.weight ([head_size/2]), as llama.cpp's converter writes
  // Llama 3.1's "llama3" RoPE scaling: frequency i is divided by factor i.
  // Empty: no per-frequency scaling.
  std::vector<float> rope_freq_factors;
};

// Tokenizer vocabulary in llama2.c's convention: pieces use ' ' (not U+2581),
// byte tokens are "<0xXX>", merge priority is the score (higher merges first).
//
// kByteBpe is GGUF's tokenizer.ggml.model = "gpt2" (Llama 3, Qwen2): pieces
// are kept as the file stores them (GPT-2's byte-to-unicode alphabet), merges
// rank the pairs (earlier first), and model/bpe_tokenizer.h encodes them.
struct Vocabulary {
  std::vector<std::string> pieces;
  std::vector<float> scores;
  int32_t max_token_length = 0;

  enum class Kind : int8_t { kSentencePiece, kByteBpe };
  Kind kind = Kind::kSentencePiece;
  std::vector<std::string> merges;   // kByteBpe: "left right", rank = index
  std::vector<int32_t> token_types;  // GGUF token types (1 normal, 3 control, 4 user-defined, ...); may be empty
  std::string pre_tokenizer;         // kByteBpe: tokenizer.ggml.pre ("llama-bpe", "qwen2")
  bool add_bos = true;               // Encode(.., bos = true, ..) adds BOS (tokenizer.ggml.add_bos_token)
};

struct Model {
  ModelConfig config;
  ModelWeights weights;
  Vocabulary vocab;
  std::string source;  // path it was loaded from, or "generated:<config>"
  std::string chat_template;  // GGUF tokenizer.chat_template, verbatim; "" when absent
};

}  // namespace cacheopt
