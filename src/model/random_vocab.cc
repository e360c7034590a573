#include "model/random_vocab.h"

#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "model/weight_rng.h"
#include "model/tokenizer_file.h"

namespace cacheopt {
namespace {

// Common English words; their prefixes become the first merges, so ordinary
// text encodes to fewer tokens than characters, as with a trained vocabulary.
constexpr std::string_view kWords[] = {
    "the", "and", "was", "to", "a", "he", "she", "it", "they", "of", "in", "you", "said", "with", "his", "her",
    "that", "for", "on", "is", "one", "day", "little", "big", "very", "happy", "saw", "had", "play", "wanted",
    "time", "once", "upon", "there", "girl", "boy", "named", "friend", "friends", "went", "were", "mom", "dad",
    "what", "when", "where", "which", "would", "could", "should", "about", "after", "again", "all", "also",
    "because", "before", "but", "came", "can", "come", "did", "do", "down", "each", "even", "every", "find",
    "first", "from", "get", "give", "go", "good", "great", "have", "help", "here", "home", "house", "how",
    "into", "just", "know", "like", "look", "made", "make", "many", "more", "most", "much", "must", "new", "no",
    "not", "now", "old", "only", "other", "our", "out", "over", "people", "place", "put", "right", "run", "same",
    "see", "so", "some", "something", "still", "take", "tell", "than", "then", "thing", "think", "this", "those",
    "through", "together", "tree", "two", "under", "up", "use", "want", "water", "way", "we", "well", "will",
    "work", "world", "year", "your", "model", "cache", "token", "request", "server", "memory", "system", "data",
    "question", "answer", "please", "thank", "number", "write", "code", "function", "value", "return",
    "string", "list", "first", "second", "third", "tomorrow", "today", "yesterday", "morning", "night",
    "beautiful", "important", "different", "example", "information", "between", "without", "another",
};

class Builder {
 public:
  explicit Builder(Vocabulary* v, int32_t size) : v_(v), size_(size) {}

  bool full() const { return static_cast<int32_t>(v_->pieces.size()) >= size_; }
  bool Has(const std::string& p) const { return seen_.count(p) != 0; }

  void Add(std::string piece, float score) {
    if (full() || !seen_.insert(piece).second) return;
    v_->pieces.push_back(std::move(piece));
    v_->scores.push_back(score);
  }
  // A merge scores below everything before it.
  void AddMerge(std::string piece) { Add(std::move(piece), -static_cast<float>(merges_++)); }

 private:
  Vocabulary* v_;
  int32_t size_;
  int32_t merges_ = 0;
  std::unordered_set<std::string> seen_;
};

// The chain " t", " th", " the" (then without the space, then " T", " Th",
// " The"): each piece is the previous one plus a single character, both
// already present.
void AddWordMerges(Builder& b) {
  for (int variant = 0; variant < 3; ++variant) {
    for (std::string_view word : kWords) {
      std::string piece = variant == 1 ? "" : " ";
      for (char c : word) {
        if (variant == 2 && piece.size() == 1) c = static_cast<char>(c - 'a' + 'A');
        piece += c;
        if (piece.size() >= 2) b.AddMerge(piece);
      }
    }
  }
}

// Fills the rest with concatenations of two random earlier letter/space
// pieces (fixed seed), up to 12 bytes.
void AddRandomMerges(Builder& b, const Vocabulary& v) {
  WeightRng rng(0x5eed0fc0ffee);
  std::vector<int32_t> parts;
  for (int32_t i = 3 + 256; i < static_cast<int32_t>(v.pieces.size()); ++i) {
    const std::string& p = v.pieces[i];
    bool letters = true;
    for (char c : p) letters = letters && (c == ' ' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
    if (letters) parts.push_back(i);
  }
  for (int attempts = 0; !b.full() && attempts < 100'000'000; ++attempts) {
    const std::string& a = v.pieces[parts[rng.Below(parts.size())]];
    const std::string& c = v.pieces[parts[rng.Below(parts.size())]];
    if (a.size() + c.size() > 12 || c[0] == ' ') continue;  // spaces only lead, as in SentencePiece
    std::string piece = a + c;
    if (b.Has(piece)) continue;
    parts.push_back(static_cast<int32_t>(v.pieces.size()));
    b.AddMerge(std::move(piece));
  }
}

}  // namespace

Result<Vocabulary> MakeRandomVocabulary(int32_t vocab_size) {
  if (vocab_size < kRandomVocabFirstMerge || vocab_size > (1 << 21))
    return Status::InvalidArgument("random vocabulary size " + std::to_string(vocab_size) + " is outside " +
                                   std::to_string(kRandomVocabFirstMerge) + ".." + std::to_string(1 << 21));
  Vocabulary v;
  v.pieces.reserve(vocab_size);
  v.scores.reserve(vocab_size);
  Builder b(&v, vocab_size);
  b.Add("<unk>", 0);
  b.Add("\n<s>\n", 0);
  b.Add("\n</s>\n", 0);
  for (int byte = 0; byte < 256; ++byte) {
    char piece[8];
    std::snprintf(piece, sizeof(piece), "<0x%02X>", byte);
    b.Add(piece, 0);
  }
  for (char c = ' '; c <= '~'; ++c) b.Add(std::string(1, c), 0);
  AddWordMerges(b);
  AddRandomMerges(b, v);
  if (!b.full()) return Status::InvalidArgument("cannot build a random vocabulary of " + std::to_string(vocab_size));
  v.max_token_length = LongestPiece(v);
  return v;
}

}  // namespace cacheopt
