#include "model/gguf_loader.h"

#include <algorithm>
#include <cmath>

#include "model/file_reader.h"
#include "model/ggml_blocks.h"
#include "model/gguf_file.h"
#include "model/model_check.h"
#include "model/random_bpe_vocab.h"
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

  bool Has(const std::string& key) const { return f_.Find(key) != nullptr; }

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

// The architectures whose tensors and hyper-parameters this loader knows
// (docs/models.md): Llama 2/3 and Mistral files declare "llama".
struct Architecture {
  const char* name;
  ModelConfig::RopeStyle rope_style;  // llama.cpp's llama_model_rope_type
};
constexpr Architecture kArchitectures[] = {
    {"llama", ModelConfig::RopeStyle::kAdjacentPairs},
    {"qwen2", ModelConfig::RopeStyle::kHalfSplit},
};

Result<ModelConfig> ReadConfig(const FileReader& in, const Meta& meta, int32_t context_override) {
  auto arch = meta.String("general.architecture");
  if (!arch.ok()) return arch.status();
  const Architecture* known = nullptr;
  for (const Architecture& a : kArchitectures)
    if (*arch == a.name) known = &a;
  if (known == nullptr)
    return in.Corrupt("general.architecture is '" + *arch +
                      "', which is not supported; supported: llama (Llama 2, Llama 3, Mistral), qwen2");
  ModelConfig c;
  c.architecture = *arch;
  c.rope_style = known->rope_style;
  const std::string p = *arch + ".";
  struct IntField {
    std::string key;
    int32_t* dst;
    std::optional<int32_t> fallback;
  };
  for (const IntField& f : {IntField{p + "embedding_length", &c.dim, std::nullopt},
                            IntField{p + "feed_forward_length", &c.hidden_dim, std::nullopt},
                            IntField{p + "block_count", &c.n_layers, std::nullopt},
                            IntField{p + "attention.head_count", &c.n_heads, std::nullopt},
                            IntField{p + "context_length", &c.file_context, std::nullopt},
                            IntField{"tokenizer.ggml.bos_token_id", &c.bos_id, 1},
                            IntField{"tokenizer.ggml.eos_token_id", &c.eos_id, 2}}) {
    auto v = meta.Int(f.key, f.fallback);
    if (!v.ok()) return v.status();
    *f.dst = *v;
  }
  auto kv_heads = meta.Int(p + "attention.head_count_kv", c.n_heads);
  if (!kv_heads.ok()) return kv_heads.status();
  c.n_kv_heads = *kv_heads;
  auto eps = meta.Float(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  if (!eps.ok()) return eps.status();
  c.rms_eps = *eps;
  auto theta = meta.Float(p + "rope.freq_base", 10000.0f);
  if (!theta.ok()) return theta.status();
  c.rope_theta = *theta;
  // RoPE scaling as llama.cpp reads it: type "linear" (its default) with
  // rope.scaling.factor (or the older rope.scale_linear); 0 or absent is 1.
  // Llama 3's "llama3" scaling comes as the rope_freqs tensor instead.
  std::string scaling = "linear";
  if (meta.Has(p + "rope.scaling.type")) {
    auto t = meta.String(p + "rope.scaling.type");
    if (!t.ok()) return t.status();
    scaling = *t;
  }
  if (scaling != "none" && scaling != "linear")
    return in.Corrupt("metadata " + p + "rope.scaling.type is '" + scaling +
                      "'; supported: none, linear (Llama 3's scaling comes as the rope_freqs tensor)");
  auto factor = meta.Float(p + "rope.scaling.factor", 0.0f);
  if (!factor.ok()) return factor.status();
  if (*factor == 0.0f) {
    factor = meta.Float(p + "rope.scale_linear", 0.0f);
    if (!factor.ok()) return factor.status();
  }
  if (!(std::isfinite(*factor) && *factor >= 0.0f))
    return in.Corrupt("metadata " + p + "rope.scaling.factor is " + std::to_string(*factor) + "; expected >= 0");
  if (scaling == "linear" && *factor != 0.0f) c.rope_freq_scale = 1.0f / *factor;
  auto window = meta.Int(p + "attention.sliding_window", 0);
  if (!window.ok()) return window.status();
  if (*window < 0)
    return in.Corrupt("metadata " + p + "attention.sliding_window is " + std::to_string(*window) + "; expected >= 0");
  c.sliding_window = *window;
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

// The pre-tokenizer names llama.cpp maps to its LLAMA3 and QWEN2 splitting
// (llama-vocab.cpp), each with its add_bos default.
struct PreTokenizer {
  const char* gguf_name;
  const char* ours;
  bool add_bos;
};
constexpr PreTokenizer kPreTokenizers[] = {
    {"llama-bpe", "llama-bpe", true}, {"llama3", "llama-bpe", true},  {"llama-v3", "llama-bpe", true},
    {"qwen2", "qwen2", false},        {"deepseek-r1-qwen", "qwen2", false},
};

// GGUF's byte-level BPE (tokenizer.ggml.model = gpt2), read as llama.cpp's
// llama_vocab::load does: tokens, optional scores and token types, the
// merges (required), the pre-tokenizer, add_bos.
Result<Vocabulary> ReadBpeVocabulary(const FileReader& in, const Meta& meta, ModelConfig* c) {
  auto tokens = meta.Array("tokenizer.ggml.tokens", GgufValueType::kString);
  if (!tokens.ok()) return tokens.status();
  const size_t n = (*tokens)->items.size();
  if (n == 0 || n > static_cast<size_t>(kMaxVocab))
    return in.Corrupt("tokenizer.ggml.tokens has " + std::to_string(n) + " entries");
  if (!meta.Has("tokenizer.ggml.merges"))
    return in.Corrupt("tokenizer.ggml.model is 'gpt2' (byte-level BPE) but the file has no tokenizer.ggml.merges; "
                      "a BPE vocabulary without merges cannot tokenize");
  auto merges = meta.Array("tokenizer.ggml.merges", GgufValueType::kString);
  if (!merges.ok()) return merges.status();
  std::string pre_name;
  if (meta.Has("tokenizer.ggml.pre")) {
    auto pre = meta.String("tokenizer.ggml.pre");
    if (!pre.ok()) return pre.status();
    pre_name = *pre;
  }
  const PreTokenizer* pre = nullptr;
  for (const PreTokenizer& p : kPreTokenizers)
    if (pre_name == p.gguf_name) pre = &p;
  if (pre == nullptr)
    return in.Corrupt("tokenizer.ggml.pre is '" + pre_name +
                      "', a BPE pre-tokenizer that is not supported; supported: llama-bpe (llama3, llama-v3), qwen2 "
                      "(deepseek-r1-qwen)");
  Vocabulary v;
  v.kind = Vocabulary::Kind::kByteBpe;
  v.pre_tokenizer = pre->ours;
  auto add_bos = meta.Int("tokenizer.ggml.add_bos_token", pre->add_bos ? 1 : 0);
  if (!add_bos.ok()) return add_bos.status();
  v.add_bos = *add_bos != 0;
  v.pieces.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    const std::string& t = (*tokens)->items[i].str;
    v.pieces.push_back(t.empty() ? "[EMPTY_" + std::to_string(i) + "]" : t);  // as llama.cpp
  }
  v.scores.assign(n, 0.0f);
  if (meta.Has("tokenizer.ggml.scores")) {
    auto scores = meta.Array("tokenizer.ggml.scores", GgufValueType::kFloat32);
    if (!scores.ok()) return scores.status();
    if ((*scores)->items.size() != n)
      return in.Corrupt("tokenizer.ggml.scores has " + std::to_string((*scores)->items.size()) +
                        " entries but tokenizer.ggml.tokens has " + std::to_string(n));
    for (size_t i = 0; i < n; ++i) v.scores[i] = static_cast<float>((*scores)->items[i].f);
  }
  if (meta.Has("tokenizer.ggml.token_type")) {
    auto types = meta.Array("tokenizer.ggml.token_type", GgufValueType::kInt32);
    if (!types.ok()) return types.status();
    if ((*types)->items.size() != n)
      return in.Corrupt("tokenizer.ggml.token_type has " + std::to_string((*types)->items.size()) +
                        " entries but tokenizer.ggml.tokens has " + std::to_string(n));
    v.token_types.reserve(n);
    for (const GgufValue& t : (*types)->items) v.token_types.push_back(static_cast<int32_t>(t.i));
  }
  v.merges.reserve((*merges)->items.size());
  for (const GgufValue& m : (*merges)->items) v.merges.push_back(m.str);
  c->vocab_size = static_cast<int32_t>(n);
  v.max_token_length = LongestPiece(v);
  return v;
}

Result<Vocabulary> ReadVocabulary(const FileReader& in, const Meta& meta, ModelConfig* c) {
  auto model = meta.String("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model == "gpt2") {
    auto v = ReadBpeVocabulary(in, meta, c);
    if (!v.ok()) return v.status();
    auto declared = meta.Int(c->architecture + ".vocab_size", c->vocab_size);
    if (!declared.ok()) return declared.status();
    if (*declared != c->vocab_size)
      return in.Corrupt("vocab size mismatch: " + c->architecture + ".vocab_size is " + std::to_string(*declared) +
                        " but tokenizer.ggml.tokens has " + std::to_string(c->vocab_size) + " entries");
    if (Status s = CheckVocabulary(*v, c->vocab_size, in.path()); !s.ok()) return s;
    return v;
  }
  if (*model != "llama")
    return in.Corrupt("tokenizer.ggml.model is '" + *model +
                      "'; supported: llama (SentencePiece), gpt2 (byte-level BPE)");
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
  auto declared = meta.Int(c->architecture + ".vocab_size", c->vocab_size);
  if (!declared.ok()) return declared.status();
  if (*declared != c->vocab_size)
    return in.Corrupt("vocab size mismatch: " + c->architecture + ".vocab_size is " + std::to_string(*declared) +
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
    // Optional biases, as llama.cpp's create_tensor_qkv loads them.
    for (const Entry& e : {Entry{"attn_q.bias", {dim}, &L.bq, nullptr}, Entry{"attn_k.bias", {kv}, &L.bk, nullptr},
                           Entry{"attn_v.bias", {kv}, &L.bv, nullptr},
                           Entry{"attn_output.bias", {dim}, &L.bo, nullptr}}) {
      if (!t.Has(p + e.name)) continue;
      if (Status s = t.Load(p + e.name, e.dims, e.dst); !s.ok()) return s;
    }
  }
  // Llama 3.1's "llama3" RoPE scaling, as llama.cpp's converter stores it.
  if (t.Has("rope_freqs.weight")) {
    if (Status s = t.Load("rope_freqs.weight", {static_cast<uint64_t>(c.head_size() / 2)}, &w->rope_freq_factors);
        !s.ok())
      return s;
    for (float x : w->rope_freq_factors)
      if (!(std::isfinite(x) && x > 0.0f))
        return in.Corrupt("tensor 'rope_freqs.weight' holds " + std::to_string(x) + "; factors must be positive");
  }
  // A tensor the forward pass would silently skip is an error instead.
  for (const GgufTensorInfo& info : f.tensors) {
    const std::string& name = info.name;
    if (name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0) {
      const bool loaded = name.find(".attn_q.bias") != std::string::npos ||
                          name.find(".attn_k.bias") != std::string::npos ||
                          name.find(".attn_v.bias") != std::string::npos ||
                          name.find(".attn_output.bias") != std::string::npos;
      if (!loaded || name.rfind("blk.", 0) != 0)
        return in.Corrupt("tensor '" + name + "' is a bias this " + c.architecture +
                          " loader does not support (only attention Q/K/V/output biases)");
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
  if (m.vocab.kind == Vocabulary::Kind::kByteBpe) {
    // A BPE model (Llama 3, Qwen2) ends on EOS and on its end-of-turn
    // tokens: the file's eot/eom ids, else the pieces llama.cpp recognises.
    m.config.stop_ids = ByteBpeStopIds(m.vocab, m.config.eos_id);
    for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
      auto id = meta.Int(key, -1);
      if (!id.ok()) return id.status();
      if (*id >= 0 && *id < m.config.vocab_size) m.config.stop_ids.push_back(*id);
    }
  } else {
    m.config.stop_ids = {m.config.bos_id, m.config.eos_id};
  }
  std::sort(m.config.stop_ids.begin(), m.config.stop_ids.end());
  m.config.stop_ids.erase(std::unique(m.config.stop_ids.begin(), m.config.stop_ids.end()), m.config.stop_ids.end());
  if (Status s = CheckConfig(m.config, path); !s.ok()) return s;
  const std::string arch = m.config.architecture + ".";
  for (const char* key : {"attention.key_length", "attention.value_length"}) {
    auto len = meta.Int(arch + key, m.config.head_size());
    if (!len.ok()) return len.status();
    if (*len != m.config.head_size())
      return in.Corrupt(arch + key + " is " + std::to_string(*len) + " but embedding_length / head_count is " +
                        std::to_string(m.config.head_size()) + "; a separate head size is not supported");
  }
  if (meta.Has("tokenizer.chat_template")) {
    auto tmpl = meta.String("tokenizer.chat_template");
    if (!tmpl.ok()) return tmpl.status();
    m.chat_template = *tmpl;
  }
  auto rope_dims = meta.Int(arch + "rope.dimension_count", m.config.head_size());
  if (!rope_dims.ok()) return rope_dims.status();
  if (*rope_dims != m.config.head_size())
    return in.Corrupt(arch + "rope.dimension_count is " + std::to_string(*rope_dims) + " but head_size is " +
                      std::to_string(m.config.head_size()) + "; partial rotary embeddings are not supported");

  if (Status s = LoadWeights(in, *file, m.config, &m.weights); !s.ok()) return s;
  return m;
}

}  // namespace cacheopt
