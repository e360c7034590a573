// Fuzzes the llama2.c loaders. The first input byte picks what is fuzzed:
//   even: a checkpoint plus its tokenizer.bin (LoadLlama2c); bytes 1..4 are
//         the checkpoint's length L (uint32 LE, clamped), then L checkpoint
//         bytes, then the tokenizer file;
//   odd:  a tokenizer.bin alone (ReadTokenizerFile); bytes 1..4 are the
//         vocab_size to read (int32 LE, any value), the rest is the file.
// Checks: failures are a Status naming a file; a loaded model passes
// CheckConfig / CheckWeights / CheckVocabulary, stops on {1}, agrees with
// ReadLlama2cConfig, encodes to ids inside its vocabulary and survives a
// WriteLlama2c / LoadLlama2c round trip; a tokenizer read gives vocab_size
// finite-scored pieces no longer than max_token_length (1..65536) and
// survives a WriteTokenizerFile / ReadTokenizerFile round trip.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "model/llama2c_loader.h"
#include "model/model_check.h"
#include "model/model_writer.h"
#include "model/tokenizer.h"
#include "model/tokenizer_file.h"

namespace {

using namespace cacheopt;

fuzz::ScratchFile& Checkpoint() {
  static fuzz::ScratchFile f("llama2c_fuzz.bin");
  return f;
}
fuzz::ScratchFile& TokenizerPath() {
  static fuzz::ScratchFile f("llama2c_fuzz_tok.bin");
  return f;
}
fuzz::ScratchFile& Again() {
  static fuzz::ScratchFile f("llama2c_fuzz_again.bin");
  return f;
}
fuzz::ScratchFile& TokenizerAgain() {
  static fuzz::ScratchFile f("llama2c_fuzz_again_tok.bin");
  return f;
}

void CheckVocab(const Vocabulary& v, int32_t vocab_size) {
  FUZZ_CHECK(v.pieces.size() == static_cast<size_t>(vocab_size));
  FUZZ_CHECK(v.scores.size() == v.pieces.size());
  FUZZ_CHECK(v.max_token_length >= 1 && v.max_token_length <= (1 << 16));
  for (size_t i = 0; i < v.pieces.size(); ++i) {
    FUZZ_CHECK(v.pieces[i].size() <= static_cast<size_t>(v.max_token_length));
    FUZZ_CHECK(std::isfinite(v.scores[i]));
  }
}

uint32_t Le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24; }

void FuzzCheckpoint(const uint8_t* data, size_t size) {
  const size_t model_bytes = std::min<size_t>(Le32(data), size - 4);
  Checkpoint().Write(data + 4, model_bytes);
  TokenizerPath().Write(data + 4 + model_bytes, size - 4 - model_bytes);
  const std::string& ckpt = Checkpoint().path();
  const std::string& tok = TokenizerPath().path();

  Result<ModelConfig> header = ReadLlama2cConfig(ckpt);
  Result<Model> r = LoadLlama2c(ckpt, tok, 0);
  if (!header.ok()) {
    FUZZ_CHECK(!r.ok());
    FUZZ_CHECK(header.status().message().find(ckpt) != std::string::npos);
  }
  if (!r.ok()) {
    const std::string& msg = r.status().message();
    FUZZ_CHECK(msg.find(ckpt) != std::string::npos || msg.find(tok) != std::string::npos);
    return;
  }
  const Model& m = *r;
  const ModelConfig& c = m.config;
  FUZZ_CHECK(CheckConfig(c, ckpt).ok());
  FUZZ_CHECK(CheckWeights(m, ckpt).ok());
  FUZZ_CHECK(CheckVocabulary(m.vocab, c.vocab_size, ckpt).ok());
  CheckVocab(m.vocab, c.vocab_size);
  FUZZ_CHECK(c.stop_ids == std::vector<int32_t>{1});
  FUZZ_CHECK(c.context == c.file_context && m.source == ckpt);
  FUZZ_CHECK(header->dim == c.dim && header->hidden_dim == c.hidden_dim && header->n_layers == c.n_layers &&
             header->n_heads == c.n_heads && header->n_kv_heads == c.n_kv_heads &&
             header->vocab_size == c.vocab_size && header->context == c.context);

  const Tokenizer t(m);
  for (const char* text : {"", "Once upon a time", "\xF0\x9F\x98\x80 <0x41>\n"}) {
    const std::vector<int32_t> ids = t.Encode(text, true, true);
    for (int32_t id : ids) FUZZ_CHECK(id >= 0 && id < c.vocab_size);
    (void)t.Decode(ids);
  }

  // The writer stores max_token_length = the longest piece, which the reader
  // rejects when it is 0 (every piece empty): no round trip for those.
  if (LongestPiece(m.vocab) == 0) return;
  FUZZ_CHECK(WriteLlama2c(m, Again().path(), TokenizerAgain().path()).ok());
  Result<Model> back = LoadLlama2c(Again().path(), TokenizerAgain().path(), 0);
  FUZZ_CHECK(back.ok());
  const ModelConfig& b = back->config;
  FUZZ_CHECK(b.dim == c.dim && b.hidden_dim == c.hidden_dim && b.n_layers == c.n_layers && b.n_heads == c.n_heads &&
             b.n_kv_heads == c.n_kv_heads && b.vocab_size == c.vocab_size && b.context == c.context);
  FUZZ_CHECK(fuzz::SameWeights(m.weights, back->weights));
  FUZZ_CHECK(m.vocab.pieces == back->vocab.pieces);
  FUZZ_CHECK(std::memcmp(m.vocab.scores.data(), back->vocab.scores.data(), m.vocab.scores.size() * 4) == 0);
}

void FuzzTokenizer(const uint8_t* data, size_t size) {
  const auto vocab_size = static_cast<int32_t>(Le32(data));
  TokenizerPath().Write(data + 4, size - 4);
  const std::string& tok = TokenizerPath().path();
  Result<Vocabulary> v = ReadTokenizerFile(tok, vocab_size);
  if (!v.ok()) {
    FUZZ_CHECK(v.status().message().find(tok) != std::string::npos);
    return;
  }
  CheckVocab(*v, vocab_size);
  FUZZ_CHECK(WriteTokenizerFile(*v, TokenizerAgain().path()).ok());
  Result<Vocabulary> back = ReadTokenizerFile(TokenizerAgain().path(), vocab_size);
  if (LongestPiece(*v) == 0) {  // every piece empty: max_token_length 0 is rejected on read
    FUZZ_CHECK(!back.ok());
    return;
  }
  FUZZ_CHECK(back.ok());
  FUZZ_CHECK(back->pieces == v->pieces && back->max_token_length == LongestPiece(*v));
  FUZZ_CHECK(std::memcmp(back->scores.data(), v->scores.data(), v->scores.size() * 4) == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 5) return 0;
  if (data[0] % 2 == 0) {
    FuzzCheckpoint(data + 1, size - 1);
  } else {
    FuzzTokenizer(data + 1, size - 1);
  }
  return 0;
}
