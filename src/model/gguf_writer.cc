// WriteGguf and GgufBuilderForModel (declared in model_writer.h).
#include <algorithm>

#include "model/ggml_blocks.h"
#include "model/model_check.h"
#include "model/model_quant.h"
#include "model/model_writer.h"
#include "model/tokenizer.h"

namespace cacheopt {
namespace {

// llama.cpp's token types.
enum : int32_t { kNormal = 1, kUnknown = 2, kControl = 3, kByte = 6 };

std::string ToSentencePiece(const std::string& piece, int32_t id, const ModelConfig& c) {
  if (id == c.bos_id && piece == "\n<s>\n") return "<s>";
  if (id == c.eos_id && piece == "\n</s>\n") return "</s>";
  std::string out;
  for (char ch : piece) {
    if (ch == ' ') out += "\xE2\x96\x81";  // U+2581
    else out += ch;
  }
  return out;
}

// A byte-level BPE vocabulary as llama.cpp's converter writes one: tokens,
// token types, merges, the pre-tokenizer, no scores.
void AddBpeVocabulary(const Model& m, GgufBuilder* b) {
  std::vector<GgufValue> tokens, types, merges;
  for (size_t id = 0; id < m.vocab.pieces.size(); ++id) {
    tokens.push_back(GgufValue::String(m.vocab.pieces[id]));
    types.push_back(GgufValue::I32(id < m.vocab.token_types.size() ? m.vocab.token_types[id] : kNormal));
  }
  for (const std::string& merge : m.vocab.merges) merges.push_back(GgufValue::String(merge));
  b->Set("tokenizer.ggml.model", GgufValue::String("gpt2"));
  b->Set("tokenizer.ggml.pre", GgufValue::String(m.vocab.pre_tokenizer));
  b->Set("tokenizer.ggml.tokens", GgufValue::Array(GgufValueType::kString, std::move(tokens)));
  b->Set("tokenizer.ggml.token_type", GgufValue::Array(GgufValueType::kInt32, std::move(types)));
  b->Set("tokenizer.ggml.merges", GgufValue::Array(GgufValueType::kString, std::move(merges)));
  b->Set("tokenizer.ggml.bos_token_id", GgufValue::U32(m.config.bos_id));
  b->Set("tokenizer.ggml.eos_token_id", GgufValue::U32(m.config.eos_id));
  b->Set("tokenizer.ggml.add_bos_token", GgufValue::Bool(m.vocab.add_bos));
  // Scores mean nothing to BPE; kept when a loaded file had any.
  if (std::any_of(m.vocab.scores.begin(), m.vocab.scores.end(), [](float x) { return x != 0.0f; })) {
    std::vector<GgufValue> scores;
    for (float x : m.vocab.scores) scores.push_back(GgufValue::F32(x));
    b->Set("tokenizer.ggml.scores", GgufValue::Array(GgufValueType::kFloat32, std::move(scores)));
  }
}

void AddVocabulary(const Model& m, GgufBuilder* b) {
  if (m.vocab.kind == Vocabulary::Kind::kByteBpe) {
    AddBpeVocabulary(m, b);
    return;
  }
  std::vector<GgufValue> tokens, scores, types;
  const auto n = static_cast<int32_t>(m.vocab.pieces.size());
  for (int32_t id = 0; id < n; ++id) {
    const std::string& p = m.vocab.pieces[id];
    tokens.push_back(GgufValue::String(ToSentencePiece(p, id, m.config)));
    scores.push_back(GgufValue::F32(m.vocab.scores[id]));
    const int32_t type = id == m.config.bos_id || id == m.config.eos_id ? kControl
                         : id == 0 && p == "<unk>"                      ? kUnknown
                         : BytePieceValue(p) >= 0                       ? kByte
                                                                        : kNormal;
    types.push_back(GgufValue::I32(type));
  }
  b->Set("tokenizer.ggml.model", GgufValue::String("llama"));
  b->Set("tokenizer.ggml.tokens", GgufValue::Array(GgufValueType::kString, std::move(tokens)));
  b->Set("tokenizer.ggml.scores", GgufValue::Array(GgufValueType::kFloat32, std::move(scores)));
  b->Set("tokenizer.ggml.token_type", GgufValue::Array(GgufValueType::kInt32, std::move(types)));
  b->Set("tokenizer.ggml.bos_token_id", GgufValue::U32(m.config.bos_id));
  b->Set("tokenizer.ggml.eos_token_id", GgufValue::U32(m.config.eos_id));
  b->Set("tokenizer.ggml.unknown_token_id", GgufValue::U32(0));
}

// Names of the 2-D tensors GgufBuilderForModel adds.
std::vector<std::string> MatrixTensorNames(const Model& m) {
  std::vector<std::string> names = {"token_embd.weight"};
  if (m.weights.wcls != m.weights.token_embedding) names.push_back("output.weight");
  for (size_t l = 0; l < m.weights.layers.size(); ++l)
    for (const char* n : {"attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_down", "ffn_up"})
      names.push_back("blk." + std::to_string(l) + "." + n + ".weight");
  return names;
}

}  // namespace

GgufBuilder GgufBuilderForModel(const Model& m, bool f16) {
  const ModelConfig& c = m.config;
  GgufBuilder b;
  const std::string a = c.architecture + ".";
  b.Set("general.architecture", GgufValue::String(c.architecture));
  b.Set("general.name", GgufValue::String(m.source.empty() ? "cacheopt" : m.source));
  b.Set("general.alignment", GgufValue::U32(32));
  b.Set("general.file_type", GgufValue::U32(f16 ? 1 : 0));  // llama.cpp: ALL_F32 / MOSTLY_F16
  b.Set(a + "context_length", GgufValue::U32(c.context));
  b.Set(a + "embedding_length", GgufValue::U32(c.dim));
  b.Set(a + "feed_forward_length", GgufValue::U32(c.hidden_dim));
  b.Set(a + "block_count", GgufValue::U32(c.n_layers));
  b.Set(a + "attention.head_count", GgufValue::U32(c.n_heads));
  b.Set(a + "attention.head_count_kv", GgufValue::U32(c.n_kv_heads));
  b.Set(a + "rope.dimension_count", GgufValue::U32(c.head_size()));
  b.Set(a + "attention.layer_norm_rms_epsilon", GgufValue::F32(c.rms_eps));
  b.Set(a + "rope.freq_base", GgufValue::F32(c.rope_theta));
  if (c.rope_freq_scale != 1.0f) {
    b.Set(a + "rope.scaling.type", GgufValue::String("linear"));
    b.Set(a + "rope.scaling.factor", GgufValue::F32(1.0f / c.rope_freq_scale));
  }
  if (c.sliding_window > 0) b.Set(a + "attention.sliding_window", GgufValue::U32(c.sliding_window));
  AddVocabulary(m, &b);
  if (!m.chat_template.empty()) b.Set("tokenizer.chat_template", GgufValue::String(m.chat_template));

  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  const ModelWeights& w = m.weights;
  b.AddTensor("token_embd.weight", {dim, vocab}, w.token_embedding.data(), f16);
  b.AddTensor("output_norm.weight", {dim}, w.rms_final.data(), false);
  if (w.wcls != w.token_embedding) b.AddTensor("output.weight", {dim, vocab}, w.wcls.data(), f16);
  if (!w.rope_freq_factors.empty())
    b.AddTensor("rope_freqs.weight", {static_cast<uint64_t>(w.rope_freq_factors.size())}, w.rope_freq_factors.data(),
                false);
  for (size_t l = 0; l < w.layers.size(); ++l) {
    const LayerWeights& L = w.layers[l];
    const std::string p = "blk." + std::to_string(l) + ".";
    b.AddTensor(p + "attn_q.weight", {dim, dim}, L.wq.data(), f16);
    b.AddTensor(p + "attn_k.weight", {dim, kv}, L.wk.data(), f16);
    b.AddTensor(p + "attn_v.weight", {dim, kv}, L.wv.data(), f16);
    b.AddTensor(p + "attn_output.weight", {dim, dim}, L.wo.data(), f16);
    // Biases stay F32, as llama.cpp's converter keeps 1-D tensors.
    if (!L.bq.empty()) b.AddTensor(p + "attn_q.bias", {dim}, L.bq.data(), false);
    if (!L.bk.empty()) b.AddTensor(p + "attn_k.bias", {kv}, L.bk.data(), false);
    if (!L.bv.empty()) b.AddTensor(p + "attn_v.bias", {kv}, L.bv.data(), false);
    if (!L.bo.empty()) b.AddTensor(p + "attn_output.bias", {dim}, L.bo.data(), false);
    b.AddTensor(p + "attn_norm.weight", {dim}, L.rms_att.data(), false);
    b.AddTensor(p + "ffn_gate.weight", {dim, hidden}, L.w1.data(), f16);
    b.AddTensor(p + "ffn_down.weight", {hidden, dim}, L.w2.data(), f16);
    b.AddTensor(p + "ffn_up.weight", {dim, hidden}, L.w3.data(), f16);
    b.AddTensor(p + "ffn_norm.weight", {dim}, L.rms_ffn.data(), false);
  }
  return b;
}

Status WriteGgufAs(const Model& m, const std::string& path, uint32_t type) {
  if (!GgmlTypeSupported(type))
    return Status::InvalidArgument("cannot write " + path + " as " + GgmlTypeName(type) + "; supported: " +
                                   GgmlSupportedTypeNames());
  if (type == kGgmlF32 || type == kGgmlF16) return WriteGguf(m, path, type == kGgmlF16);
  const std::string where = "cannot write " + path;
  if (Status s = CheckWeights(m, where); !s.ok()) return s;
  if (Status s = CheckVocabulary(m.vocab, m.config.vocab_size, where); !s.ok()) return s;
  GgufBuilder b = GgufBuilderForModel(m, false);
  // llama.cpp's llama_ftype for a file mostly of this type (llama.h).
  const uint32_t ftype = type == kGgmlQ4_0 ? 2 : type == kGgmlQ8_0 ? 7 : type == kGgmlQ4_K ? 14
                         : type == kGgmlQ5_K ? 16 : type == kGgmlQ6_K ? 18 : type == kGgmlQ5_0 ? 8
                         : type == kGgmlQ5_1 ? 9 : 32;  // BF16
  b.Set("general.file_type", GgufValue::U32(ftype));
  b.Set("general.quantization_version", GgufValue::U32(2));
  for (const std::string& name : MatrixTensorNames(m)) {
    GgufBuilder::Tensor* t = b.FindTensor(name);
    const int64_t cols = static_cast<int64_t>(t->dims[0]), rows = static_cast<int64_t>(t->dims[1]);
    const uint32_t st = StorageTypeFor(type, static_cast<int32_t>(cols));
    const uint64_t row_bytes = *GgmlRowBytes(st, cols);
    std::string raw(row_bytes * rows, '\0');
    for (int64_t r = 0; r < rows; ++r) QuantizeRow(st, t->data + r * cols, raw.data() + r * row_bytes, cols);
    t->type = st;
    t->data = nullptr;
    t->raw = std::move(raw);
  }
  return b.Write(path);
}

Status WriteGguf(const Model& m, const std::string& path, bool f16) {
  const std::string where = "cannot write " + path;
  if (Status s = CheckWeights(m, where); !s.ok()) return s;
  if (Status s = CheckVocabulary(m.vocab, m.config.vocab_size, where); !s.ok()) return s;
  return GgufBuilderForModel(m, f16).Write(path);
}

}  // namespace cacheopt
