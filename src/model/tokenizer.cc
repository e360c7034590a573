#include "model/tokenizer.h"

#include <queue>

#include "model/bpe_tokenizer.h"

namespace cacheopt {
namespace {

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// run.c's merge loop only accepts scores above its initial best of -1e10.
constexpr float kNoMergeScore = -1e10f;

}  // namespace

int BytePieceValue(std::string_view p) {
  if (p.size() != 6 || p.substr(0, 3) != "<0x" || p[5] != '>') return -1;
  const int hi = HexDigit(p[3]), lo = HexDigit(p[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

Tokenizer::Tokenizer(Vocabulary vocab, int32_t bos_id, int32_t eos_id)
    : vocab_(std::move(vocab)), bos_id_(bos_id), eos_id_(eos_id) {
  vocab_.scores.resize(vocab_.pieces.size(), 0.0f);  // tolerate a short score list
  ids_.reserve(vocab_.pieces.size());
  piece_byte_.resize(vocab_.pieces.size());
  for (size_t i = 0; i < vocab_.pieces.size(); ++i) {
    ids_.emplace(vocab_.pieces[i], static_cast<int32_t>(i));  // keeps the first (lowest) id
    piece_byte_[i] = static_cast<int16_t>(BytePieceValue(vocab_.pieces[i]));
  }
  for (int b = 0; b < 256; ++b) {
    static const char kHex[] = "0123456789ABCDEF";
    const std::string piece = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    // A vocabulary without byte tokens falls back to <unk> (id 0).
    byte_token_[b] = std::max(Lookup(piece), 0);
  }
  if (vocab_.kind == Vocabulary::Kind::kByteBpe) {
    bpe_vocab_ = std::make_shared<const Vocabulary>(vocab_);
    bpe_ = std::make_shared<const BpeTokenizer>(*bpe_vocab_, bos_id_, eos_id_);
  }
}

Tokenizer::Tokenizer(const Model& m) : Tokenizer(m.vocab, m.config.bos_id, m.config.eos_id) {}

int32_t Tokenizer::Lookup(std::string_view piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

void Tokenizer::AppendCharacter(std::string_view ch, std::vector<int32_t>* out) const {
  const int32_t id = Lookup(ch);
  if (id >= 0) {
    out->push_back(id);
    return;
  }
  for (char c : ch) out->push_back(byte_token_[static_cast<unsigned char>(c)]);
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool bos, bool eos, bool parse_special) const {
  if (bpe_ != nullptr) return bpe_->Encode(text, bos, eos, parse_special);
  std::vector<int32_t> tokens;
  tokens.reserve(text.size() + 3);
  if (bos) tokens.push_back(bos_id_);
  // SentencePiece's add_dummy_prefix, as run.c does it.
  if (!text.empty()) AppendCharacter(" ", &tokens);
  // run.c's UTF-8 walk: a start byte begins a new character; continuation
  // bytes join it, up to 4 bytes.
  size_t start = 0, len = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      start = i;
      len = 0;
    }
    ++len;
    const unsigned char next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((next & 0xC0) == 0x80 && len < 4) continue;
    AppendCharacter(text.substr(start, len), &tokens);
    len = 0;
    start = i + 1;
  }
  Merge(&tokens);
  if (eos) tokens.push_back(eos_id_);
  return tokens;
}

void Tokenizer::Merge(std::vector<int32_t>* tokens) const {
  // Tokens form a linked list; a heap holds candidate merges ordered by
  // score, then leftmost position, which is exactly the pair run.c's scan
  // picks. Entries made stale by an earlier merge are skipped using the
  // nodes' version counters.
  std::vector<int32_t>& t = *tokens;
  const int n = static_cast<int>(t.size());
  if (n < 2) return;
  std::vector<int> prev(n), next(n), version(n, 0);
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    float score;
    int left, right, left_version, right_version;
    int32_t id;
    bool operator<(const Candidate& o) const {  // priority_queue pops the largest
      if (score != o.score) return score < o.score;
      return left > o.left;
    }
  };
  std::priority_queue<Candidate> heap;
  std::string buf;
  auto consider = [&](int left) {
    const int right = left < 0 ? -1 : next[left];
    if (left < 0 || right < 0) return;
    buf = vocab_.pieces[t[left]];
    buf += vocab_.pieces[t[right]];
    const int32_t id = Lookup(buf);
    if (id < 0 || !(vocab_.scores[id] > kNoMergeScore)) return;
    heap.push({vocab_.scores[id], left, right, version[left], version[right], id});
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (version[c.left] != c.left_version || version[c.right] != c.right_version || next[c.left] != c.right) continue;
    t[c.left] = c.id;
    ++version[c.left];
    version[c.right] = -1;  // removed
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    consider(prev[c.left]);
    consider(c.left);
  }
  std::vector<int32_t> merged;
  for (int i = 0; i >= 0; i = next[i]) merged.push_back(t[i]);
  t = std::move(merged);
}

std::string Tokenizer::DecodePiece(int32_t prev, int32_t token) const {
  if (bpe_ != nullptr) return bpe_->DecodePiece(token);
  if (token < 0 || token >= vocab_size()) return "";
  std::string_view piece = vocab_.pieces[token];
  // SentencePiece strips the dummy-prefix space of the first word.
  if (prev == bos_id_ && !piece.empty() && piece[0] == ' ') piece.remove_prefix(1);
  if (piece_byte_[token] >= 0) return std::string(1, static_cast<char>(piece_byte_[token]));
  return std::string(piece);
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  int32_t prev = -1;
  for (int32_t id : ids) {
    if (id != bos_id_ && id != eos_id_) out += DecodePiece(prev, id);
    prev = id;
  }
  return out;
}

}  // namespace cacheopt
