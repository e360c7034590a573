#include "model/llama2c_loader.h"

#include <cstring>

#include "model/file_reader.h"
#include "model/llama2c_format.h"
#include "model/model_check.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

struct Header {
  ModelConfig config;
  bool shared_classifier = true;
};

Result<Header> ReadHeader(FileReader& in, int32_t context_override) {
  Llama2cHeader h{};
  if (Status s = in.ReadValue(&h, "header"); !s.ok()) return s;
  uint32_t first = 0;
  std::memcpy(&first, &h, sizeof(first));
  if (first == kLlama2cVersionedMagic)
    return in.Corrupt("is a versioned llama2.c checkpoint (magic \"ak42\"); only the legacy version-0 "
                      "format is supported (export with --version 0)");
  if (h.vocab_size == INT32_MIN) return in.Corrupt("header: vocab_size " + std::to_string(h.vocab_size) + " is absurd");
  if (context_override < 0)
    return Status::InvalidArgument(in.path() + ": context override " + std::to_string(context_override) +
                                   " is negative");
  Header out;
  ModelConfig& c = out.config;
  c.dim = h.dim;
  c.hidden_dim = h.hidden_dim;
  c.n_layers = h.n_layers;
  c.n_heads = h.n_heads;
  c.n_kv_heads = h.n_kv_heads;
  c.vocab_size = h.vocab_size < 0 ? -h.vocab_size : h.vocab_size;
  out.shared_classifier = h.vocab_size > 0;
  c.file_context = h.seq_len;
  c.context = context_override > 0 ? context_override : h.seq_len;
  // run.c's fixed constants; the legacy format has no fields for them.
  c.rms_eps = 1e-5f;
  c.rope_theta = 10000.0f;
  c.bos_id = 1;
  c.eos_id = 2;
  c.stop_ids = {1};
  if (Status s = CheckConfig(c, in.path() + ": header"); !s.ok()) return s;
  return out;
}

// The exact size the header implies, or an error naming the section the file
// ends in (short) or the trailing byte count (long).
Status CheckFileSize(const FileReader& in, const std::vector<Llama2cSection>& layout) {
  uint64_t total = 0;
  for (const Llama2cSection& s : layout) total += s.bytes();
  if (in.size() > total)
    return in.Corrupt("size mismatch: the header implies " + std::to_string(total) + " bytes but the file has " +
                      std::to_string(in.size()) + " (" + std::to_string(in.size() - total) +
                      " extra bytes after " + layout.back().name + "); is it a llama2.c version-0 checkpoint?");
  if (in.size() < total) {
    uint64_t end = 0;
    for (const Llama2cSection& s : layout) {
      end += s.bytes();
      if (in.size() < end)
        return in.Corrupt("truncated in " + std::string(s.name) + ": need " + std::to_string(total) +
                          " bytes, file has " + std::to_string(in.size()));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ModelConfig> ReadLlama2cConfig(const std::string& checkpoint_path) {
  auto in = FileReader::Open(checkpoint_path);
  if (!in.ok()) return in.status();
  auto header = ReadHeader(*in, 0);
  if (!header.ok()) return header.status();
  return header->config;
}

Result<Model> LoadLlama2c(const std::string& checkpoint_path, const std::string& tokenizer_path,
                          int32_t context_override) {
  auto opened = FileReader::Open(checkpoint_path);
  if (!opened.ok()) return opened.status();
  FileReader& in = *opened;
  auto header = ReadHeader(in, context_override);
  if (!header.ok()) return header.status();

  Model m;
  m.config = header->config;
  m.source = checkpoint_path;
  const std::vector<Llama2cSection> layout = Llama2cLayout(m.config, header->shared_classifier);
  // Sizes are checked before any tensor is allocated.
  if (Status s = CheckFileSize(in, layout); !s.ok()) return s;

  m.weights.layers.resize(m.config.n_layers);
  for (const Llama2cSection& s : layout) {
    if (s.part == Llama2cPart::kHeader) continue;
    for (int32_t item = 0; item < s.items; ++item) {
      std::vector<float>* t = Llama2cTensor(m.weights, s.part, item);
      if (t == nullptr) {
        if (Status st = in.Skip(s.floats_per_item * 4, s.name); !st.ok()) return st;
        continue;
      }
      t->resize(s.floats_per_item);
      if (Status st = in.Read(t->data(), s.floats_per_item * 4, s.name); !st.ok()) return st;
    }
  }
  if (header->shared_classifier) m.weights.wcls = m.weights.token_embedding;

  auto vocab = ReadTokenizerFile(tokenizer_path, m.config.vocab_size);
  if (!vocab.ok()) return vocab.status();
  m.vocab = std::move(*vocab);
  return m;
}

}  // namespace cacheopt
