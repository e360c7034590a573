#include "model/gguf_loader.h"

#include <algorithm>

#include "model/file_reader.h"
#include "model/ggml_blocks.h"
#include "model/gguf_file.h"
#include "model/model_check.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

std::string ShapeString(const std::vector<uint64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// Reads metadata with the file's error context.
class Meta {
 public:
  Meta(const FileReader& in, const GgufFile& f) : in_(in), f_(f) {}

  Result<int32_t> Int(const std::string& key, std::optional<int32_t> fallback) const {
    const GgufValue* v = f_.Find(key);
    if (v == nullptr) {
      if (fallback) return *fallback;
      return Missing(key);
    }
    const std::optional<int64_t> x = v->AsInt();
    if (!x) return WrongType(key, *v, "an integer");
    if (*x < INT32_MIN || *x > INT32_MAX)
      return in_.Corrupt("metadata " + key + " = " + std::to_string(*x) + " is out of range");
    return static_cast<int32_t>(*x);
  }

  Result<float> Float(const std::string& key, float fallback) const {
    const GgufValue* v = f_.Find(key);
    if (v == nullptr) return fallback;
    const std::optional<double> x = v->AsFloat();
    if (!x) return WrongType(key, *v, "a number");
    return static_cast<float>(*x);
  }

  Result<std::string> String(const std::string& key) const {
    const GgufValue* v = f_.Find(key);
    if (v == nullptr) return Missing(key);
    if (v->type != GgufValueType::kString) return WrongType(key, *v, "a string");
    return v->str;
  }

  Result<const GgufValue*> Array(const std::string& key, GgufValueType elem) const {
    const GgufValue* v = f_.Find(key);
    if (v == nullptr) return Missing(key);
    if (v->type != GgufValueType::kArray || v->elem_type != elem)
      return in_.Corrupt("metadata " + key + " is not an array of " + GgufValueTypeName(elem));
    return v;
  }

 private:
  Status Missing(const std::string& key) const { return in_.Corrupt("missing metadata " + key); }
  Status WrongType(const std::string& key, const GgufValue& v, const char* want) const {
    return in_.Corrupt("metadata " + key + " has type " + GgufValueTypeName(v.type) + ", expected " + want);
  }
  const FileReader& in_;
  const GgufFile& f_;
};

Result<ModelConfig> ReadConfig(const FileReader& in, const Meta& meta, int32_t context_override) {
  auto arch = meta.String("general.architecture");
  if (!arch.ok()) return arch.status();
  if (*arch != "llama")
    return in.Corrupt("general.architecture is '" + *arch + "'; only 'llama' is supported");
  ModelConfig c;
  struct IntField {
    const char* key;
    int32_t* dst;
    std::optional<int32_t> fallback;
  };
  for (const IntField& f : {IntField{"llama.embedding_length", &c.dim, std::nullopt},
                            IntField{"llama.feed_forward_length", &c.hidden_dim, std::nullopt},
                            IntField{"llama.block_count", &c.n_layers, std::nullopt},
                            IntField{"llama.attention.head_count", &c.n_heads, std::nullopt},
                            IntField{"llama.context_length", &c.file_context, std::nullopt},
                            IntField{"tokenizer.ggml.bos_token_id", &c.bos_id, 1},
                            IntField{"tokenizer.ggml.eos_token_id", &c.eos_id, 2}}) {
    auto v = meta.Int(f.key, f.fallback);
    if (!v.ok()) return v.status();
    *f.dst = *v;
  }
  auto kv_heads = meta.Int("llama.attention.head_count_kv", c.n_heads);
  if (!kv_heads.ok()) return kv_heads.status();
  c.n_kv_heads = *kv_heads;
  auto eps = meta.Float("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  if (!eps.ok()) return eps.status();
  c.rms_eps = *eps;
  auto theta = meta.Float("llama.rope.freq_base", 10000.0f);
  if (!theta.ok()) return theta.status();
  c.rope_theta = *theta;
  if (context_override < 0)
    return Status::InvalidArgument(in.path() + ": context override " + std::to_string(context_override) +
                                   " is negative");
  c.context = context_override > 0 ? context_override : c.file_context;
  return c;
}

std::string ToLlama2cPiece(std::string piece) {
  static const std::string kSpaceMark = "\xE2\x96\x81";  // U+2581
  for (size_t at = piece.find(kSpaceMark); at != std::string::npos; at = piece.find(kSpaceMark, at + 1))
    piece.replace(at, kSpaceMark.size(), " ");
  return piece;
}

Result<Vocabulary> ReadVocabulary(const FileReader& in, const Meta& meta, ModelConfig* c) {
  auto model = meta.String("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model != "llama")
    return in.Corrupt("tokenizer.ggml.model is '" + *model + "'; only 'llama' (SentencePiece) is supported");
  auto tokens = meta.Array("tokenizer.ggml.tokens", GgufValueType::kString);
  if (!tokens.ok()) return tokens.status();
  auto scores = meta.Array("tokenizer.ggml.scores", GgufValueType::kFloat32);
  if (!scores.ok()) return scores.status();
  const size_t n = (*tokens)->items.size();
  if ((*scores)->items.size() != n)
    return in.Corrupt("tokenizer.ggml.scores has " + std::to_string((*scores)->items.size()) +
                      " entries but tokenizer.ggml.tokens has " + std::to_string(n));
  if (n == 0 || n > static_cast<size_t>(kMaxVocab))
    return in.Corrupt("tokenizer.ggml.tokens has " + std::to_string(n) + " entries");
  c->vocab_size = static_cast<int32_t>(n);
  auto declared = meta.Int("llama.vocab_size", c->vocab_size);
  if (!declared.ok()) return declared.status();
  if (*declared != c->vocab_size)
    return in.Corrupt("vocab size mismatch: llama.vocab_size is " + std::to_string(*declared) +
                      " but tokenizer.ggml.tokens has " + std::to_string(n) + " entries");
  Vocabulary v;
  v.pieces.reserve(n);
  v.scores.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    v.pieces.push_back(ToLlama2cPiece((*tokens)->items[i].str));
    v.scores.push_back(static_cast<float>((*scores)->items[i].f));
  }
  // As llama2.c's tokenizer export does.
  if (c->bos_id >= 0 && static_cast<size_t>(c->bos_id) < n) v.pieces[c->bos_id] = "\n<s>\n";
  if (c->eos_id >= 0 && static_cast<size_t>(c->eos_id) < n) v.pieces[c->eos_id] = "\n</s>\n";
  v.max_token_length = LongestPiece(v);
  if (Status s = CheckVocabulary(v, c->vocab_size, in.path()); !s.ok()) return s;
  return v;
}

class TensorLoader {
 public:
  TensorLoader(FileReader& in, const GgufFile& f) : in_(in), f_(f) {}

  bool Has(const std::string& name) const { return f_.FindTensor(name) != nullptr; }

  // `dims` in GGUF order: {in, out} for a row-major [out][in] matrix.
  Status Load(const std::string& name, std::vector<uint64_t> dims, std::vector<float>* dst) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr) return in_.Corrupt("missing tensor '" + name + "'");
    std::vector<uint64_t> have = t->dims;
    while (have.size() > dims.size() && have.back() == 1) have.pop_back();  // trailing 1s are padding
    if (have != dims)
      return in_.Corrupt("tensor '" + name + "' has shape " + ShapeString(t->dims) + ", expected " +
                         ShapeString(dims) + " (GGUF order, innermost first)");
    if (dst == nullptr) return Status::Ok();
    auto data = ReadGgufTensor(in_, f_, *t);
    if (!data.ok()) return data.status();
    *dst = std::move(*data);
    return Status::Ok();
  }

  // A matrix: F32/F16 into `dst` as fp32 (as before), BF16 and quantized
  // types kept as stored in `q`.
  Status LoadMatrix(const std::string& name, std::vector<uint64_t> dims, std::vector<float>* dst, QuantMatrix* q) {
    const GgufTensorInfo* t = f_.FindTensor(name);
    if (t == nullptr || t->type == kGgmlF32 || t->type == kGgmlF16) return Load(name, std::move(dims), dst);
    if (Status s = Load(name, dims, nullptr); !s.ok()) return s;
    auto bytes = ReadGgufTensorBytes(in_, f_, *t);
    if (!bytes.ok()) return bytes.status();
    q->type = t->type;
    q->cols = static_cast<int32_t>(dims[0]);
    q->rows = static_cast<int32_t>(dims[1]);
    q->row_bytes = *GgmlRowBytes(t->type, q->cols);
    q->data = std::move(*bytes);
    dst->clear();
    return Status::Ok();
  }

 private:
  FileReader& in_;
  const GgufFile& f_;
};

Status LoadWeights(FileReader& in, const GgufFile& f, const ModelConfig& c, ModelWeights* w) {
  TensorLoader t(in, f);
  const uint64_t dim = c.dim, hidden = c.hidden_dim, kv = c.kv_dim(), vocab = c.vocab_size;
  if (const GgufTensorInfo* emb = f.FindTensor("token_embd.weight");
      emb != nullptr && emb->dims.size() == 2 && emb->dims[0] == dim && emb->dims[1] != vocab)
    return in.Corrupt("vocab size mismatch: token_embd.weight has " + std::to_string(emb->dims[1]) +
                      " rows but tokenizer.ggml.tokens has " + std::to_string(vocab) + " entries");
  if (Status s = t.LoadMatrix("token_embd.weight", {dim, vocab}, &w->token_embedding, &w->token_embedding_q); !s.ok())
    return s;
  if (Status s = t.Load("output_norm.weight", {dim}, &w->rms_final); !s.ok()) return s;
  if (t.Has("output.weight")) {
    if (Status s = t.LoadMatrix("output.weight", {dim, vocab}, &w->wcls, &w->wcls_q); !s.ok()) return s;
  } else if (w->token_embedding_q.empty()) {
    w->wcls = w->token_embedding;
  }  // else: wcls and wcls_q stay empty, sharing the quantized embedding
  w->layers.resize(c.n_layers);
  for (int32_t l = 0; l < c.n_layers; ++l) {
    LayerWeights& L = w->layers[l];
    const std::string p = "blk." + std::to_string(l) + ".";
    struct Entry {
      const char* name;
      std::vector<uint64_t> dims;
      std::vector<float>* dst;
      QuantMatrix* quant;  // null: a vector, always fp32
    };
    for (const Entry& e : {Entry{"attn_norm.weight", {dim}, &L.rms_att, nullptr},
                           Entry{"attn_q.weight", {dim, dim}, &L.wq, &L.wq_q},
                           Entry{"attn_k.weight", {dim, kv}, &L.wk, &L.wk_q},
                           Entry{"attn_v.weight", {dim, kv}, &L.wv, &L.wv_q},
                           Entry{"attn_output.weight", {dim, dim}, &L.wo, &L.wo_q},
                           Entry{"ffn_norm.weight", {dim}, &L.rms_ffn, nullptr},
                           Entry{"ffn_gate.weight", {dim, hidden}, &L.w1, &L.w1_q},
                           Entry{"ffn_down.weight", {hidden, dim}, &L.w2, &L.w2_q},
                           Entry{"ffn_up.weight", {dim, hidden}, &L.w3, &L.w3_q}}) {
      const Status s = e.quant != nullptr ? t.LoadMatrix(p + e.name, e.dims, e.dst, e.quant)
                                          : t.Load(p + e.name, e.dims, e.dst);
      if (!s.ok()) return s;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Model> LoadGguf(const std::string& path, int32_t context_override) {
  auto opened = FileReader::Open(path);
  if (!opened.ok()) return opened.status();
  FileReader& in = *opened;
  auto file = ReadGgufDirectory(in);
  if (!file.ok()) return file.status();
  const Meta meta(in, *file);

  Model m;
  m.source = path;
  auto config = ReadConfig(in, meta, context_override);
  if (!config.ok()) return config.status();
  m.config = std::move(*config);
  auto vocab = ReadVocabulary(in, meta, &m.config);
  if (!vocab.ok()) return vocab.status();
  m.vocab = std::move(*vocab);
  m.config.stop_ids = {m.config.bos_id, m.config.eos_id};
  std::sort(m.config.stop_ids.begin(), m.config.stop_ids.end());
  m.config.stop_ids.erase(std::unique(m.config.stop_ids.begin(), m.config.stop_ids.end()), m.config.stop_ids.end());
  if (Status s = CheckConfig(m.config, path); !s.ok()) return s;
  auto rope_dims = meta.Int("llama.rope.dimension_count", m.config.head_size());
  if (!rope_dims.ok()) return rope_dims.status();
  if (*rope_dims != m.config.head_size())
    return in.Corrupt("llama.rope.dimension_count is " + std::to_string(*rope_dims) + " but head_size is " +
                      std::to_string(m.config.head_size()) + "; partial rotary embeddings are not supported");

  if (Status s = LoadWeights(in, *file, m.config, &m.weights); !s.ok()) return s;
  return m;
}

}  // namespace cacheopt
