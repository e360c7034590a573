#include "model/tokenizer_file.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "model/file_reader.h"
#include "model/model_check.h"

namespace cacheopt {
namespace {

// Longest piece we accept; real vocabularies stay under a few hundred bytes.
constexpr int32_t kMaxPieceBytes = 1 << 16;

}  // namespace

Result<Vocabulary> ReadTokenizerFile(const std::string& path, int32_t vocab_size) {
  if (vocab_size <= 0 || vocab_size > kMaxVocab)
    return Status::InvalidArgument(path + ": cannot read a tokenizer for vocab_size " + std::to_string(vocab_size));
  auto opened = FileReader::Open(path);
  if (!opened.ok()) return opened.status();
  FileReader& in = *opened;
  Vocabulary v;
  if (Status s = in.ReadValue(&v.max_token_length, "max_token_length"); !s.ok()) return s;
  if (v.max_token_length <= 0 || v.max_token_length > kMaxPieceBytes)
    return in.Corrupt("max_token_length " + std::to_string(v.max_token_length) + " is out of range (1.." +
                      std::to_string(kMaxPieceBytes) + ")");
  // Grown token by token, not sized to vocab_size up front: read with
  // vocab_size 2^21, a 13-byte file allocated ~75 MB before failing (found
  // with fuzz/llama2c_fuzz.cc). A token takes >= 8 bytes, bounding the reserve.
  const auto fit =
      static_cast<size_t>(std::min<uint64_t>(static_cast<uint64_t>(vocab_size), in.remaining() / 8));
  v.pieces.reserve(fit);
  v.scores.reserve(fit);
  const std::string of = " of " + std::to_string(vocab_size);
  for (int32_t i = 0; i < vocab_size; ++i) {
    // A short file most often means a tokenizer for a smaller vocabulary.
    const std::string what = "token " + std::to_string(i) + of + " (vocab size mismatch?)";
    float score = 0;
    if (Status s = in.ReadValue(&score, what); !s.ok()) return s;
    if (!std::isfinite(score)) return in.Corrupt("token " + std::to_string(i) + " has a non-finite score");
    int32_t len = 0;
    if (Status s = in.ReadValue(&len, what); !s.ok()) return s;
    if (len < 0 || len > v.max_token_length)
      return in.Corrupt("token " + std::to_string(i) + " has length " + std::to_string(len) +
                        ", outside 0..max_token_length " + std::to_string(v.max_token_length));
    std::string& piece = v.pieces.emplace_back(static_cast<size_t>(len), '\0');
    if (Status s = in.Read(piece.data(), len, what); !s.ok()) return s;
    v.scores.push_back(score);
  }
  if (in.remaining() != 0)
    return in.Corrupt("vocab size mismatch: " + std::to_string(in.remaining()) + " bytes remain after the model's " +
                      std::to_string(vocab_size) + " tokens, so the tokenizer has a larger vocabulary");
  return v;
}

int32_t LongestPiece(const Vocabulary& v) {
  size_t longest = 0;
  for (const std::string& p : v.pieces) longest = std::max(longest, p.size());
  return static_cast<int32_t>(longest);
}

Status WriteTokenizerFile(const Vocabulary& v, const std::string& path) {
  if (v.pieces.size() != v.scores.size())
    return Status::InvalidArgument("cannot write " + path + ": " + std::to_string(v.pieces.size()) + " pieces but " +
                                   std::to_string(v.scores.size()) + " scores");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return Status::IoError(path + ": cannot open for writing");
  const int32_t max_len = LongestPiece(v);
  out.write(reinterpret_cast<const char*>(&max_len), sizeof(max_len));
  for (size_t i = 0; i < v.pieces.size(); ++i) {
    const auto len = static_cast<int32_t>(v.pieces[i].size());
    out.write(reinterpret_cast<const char*>(&v.scores[i]), sizeof(float));
    out.write(reinterpret_cast<const char*>(&len), sizeof(len));
    out.write(v.pieces[i].data(), len);
  }
  out.close();
  if (!out) return Status::IoError(path + ": write failed");
  return Status::Ok();
}

}  // namespace cacheopt
