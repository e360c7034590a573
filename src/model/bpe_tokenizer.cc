#include "model/bpe_tokenizer.h"

#include <algorithm>
#include <queue>

namespace cacheopt {

uint32_t ByteToUnicode(uint8_t b) {
  // Printable Latin-1 bytes stand for themselves; the other 68 (controls,
  // space, DEL, NBSP, soft hyphen...) take U+0100.. in byte order.
  auto visible = [](int x) { return (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF); };
  if (visible(b)) return b;
  uint32_t n = 0;
  for (int x = 0; x < b; ++x) n += visible(x) ? 0 : 1;
  return 256 + n;
}

BpeTokenizer::BpeTokenizer(const Vocabulary& vocab, int32_t bos_id, int32_t eos_id)
    : vocab_(vocab), bos_id_(bos_id), eos_id_(eos_id) {
  pre_ = vocab.pre_tokenizer == "qwen2" ? PreTokenizerKind::kQwen2 : PreTokenizerKind::kLlama3;
  ignore_merges_ = pre_ == PreTokenizerKind::kLlama3;
  const auto n = static_cast<int32_t>(vocab.pieces.size());
  ids_.reserve(static_cast<size_t>(n));
  for (int32_t id = 0; id < n; ++id) ids_[vocab.pieces[id]] = id;
  ranks_.reserve(vocab.merges.size());
  for (size_t r = 0; r < vocab.merges.size(); ++r) {
    const std::string& m = vocab.merges[r];
    const size_t space = m.find(' ', 1);  // as llama.cpp splits a merge
    if (space == std::string::npos) continue;
    std::string key = m.substr(0, space);
    key += '\0';
    key += m.substr(space + 1);
    ranks_.emplace(std::move(key), static_cast<int32_t>(r));
  }
  for (int32_t id = 0; id < n; ++id) {
    const int32_t t = Type(id);
    if (t == kTokenControl || t == kTokenUserDefined || t == kTokenUnknown) specials_.push_back(id);
  }
  std::stable_sort(specials_.begin(), specials_.end(),
                   [&](int32_t a, int32_t b) { return vocab.pieces[a].size() > vocab.pieces[b].size(); });
  for (int b = 0; b < 256; ++b) unicode_to_byte_[ByteToUnicode(static_cast<uint8_t>(b))] = static_cast<uint8_t>(b);
}

int32_t BpeTokenizer::Type(int32_t id) const {
  return static_cast<size_t>(id) < vocab_.token_types.size() ? vocab_.token_types[id] : kTokenNormal;
}

int32_t BpeTokenizer::Find(const std::string& piece) const {
  auto it = ids_.find(piece);
  return it == ids_.end() ? -1 : it->second;
}

std::vector<int32_t> BpeTokenizer::Encode(std::string_view text, bool add_bos, bool eos, bool parse_special) const {
  // The text as raw pieces and special tokens (id >= 0), in order.
  struct Fragment {
    int32_t id;  // -1: raw text
    size_t off, len;
  };
  std::vector<Fragment> frags;
  if (!text.empty()) frags.push_back({-1, 0, text.size()});
  for (int32_t sid : specials_) {
    const int32_t t = Type(sid);
    if (!parse_special && (t == kTokenControl || t == kTokenUnknown)) continue;
    const std::string& s = vocab_.pieces[sid];
    std::vector<Fragment> next;
    next.reserve(frags.size());
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      size_t off = f.off;
      const size_t end = f.off + f.len;
      while (off < end) {
        const size_t at = text.substr(0, end).find(s, off);
        if (at == std::string_view::npos) break;
        if (at > off) next.push_back({-1, off, at - off});
        next.push_back({sid, at, s.size()});
        off = at + s.size();
      }
      if (off < end) next.push_back({-1, off, end - off});
    }
    frags = std::move(next);
  }
  std::vector<int32_t> out;
  if (add_bos && vocab_.add_bos) out.push_back(bos_id_);
  for (const Fragment& f : frags) {
    if (f.id >= 0) {
      out.push_back(f.id);
    } else {
      EncodeText(text.substr(f.off, f.len), &out);
    }
  }
  if (eos) out.push_back(eos_id_);
  return out;
}

void BpeTokenizer::EncodeText(std::string_view text, std::vector<int32_t>* out) const {
  std::string word, utf8;
  for (const std::vector<uint32_t>& cps : PreTokenize(text, pre_)) {
    utf8.clear();
    for (uint32_t cp : cps) AppendUtf8(cp, &utf8);
    word.clear();
    for (char ch : utf8) AppendUtf8(ByteToUnicode(static_cast<uint8_t>(ch)), &word);
    EncodeWord(word, out);
  }
}

void BpeTokenizer::EncodeWord(const std::string& word, std::vector<int32_t>* out) const {
  if (ignore_merges_) {
    const int32_t id = Find(word);
    if (id >= 0) {
      out->push_back(id);
      return;
    }
  }
  // Symbols: the word's UTF-8 characters, as a linked list of byte ranges.
  struct Symbol {
    size_t off, len;
    int prev, next;
  };
  std::vector<Symbol> sym;
  for (size_t off = 0; off < word.size();) {
    const auto b = static_cast<unsigned char>(word[off]);
    size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    len = std::min(len, word.size() - off);
    const int i = static_cast<int>(sym.size());
    sym.push_back({off, len, i - 1, off + len == word.size() ? -1 : i + 1});
    off += len;
  }
  struct Bigram {
    int32_t rank;
    int left, right;
    size_t left_len, right_len;  // the symbols' lengths when queued: stale when they changed
    bool operator<(const Bigram& o) const {  // priority_queue pops the largest: lowest rank, then leftmost
      if (rank != o.rank) return rank > o.rank;
      return left > o.left;
    }
  };
  std::priority_queue<Bigram> queue;
  std::string key;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    key.assign(word, sym[left].off, sym[left].len);
    key += '\0';
    key.append(word, sym[right].off, sym[right].len);
    auto it = ranks_.find(key);
    if (it == ranks_.end()) return;
    queue.push({it->second, left, right, sym[left].len, sym[right].len});
  };
  for (int i = 1; i < static_cast<int>(sym.size()); ++i) consider(i - 1, i);
  while (!queue.empty()) {
    const Bigram b = queue.top();
    queue.pop();
    Symbol& l = sym[b.left];
    Symbol& r = sym[b.right];
    if (l.len == 0 || r.len == 0 || l.len != b.left_len || r.len != b.right_len || l.next != b.right) continue;
    l.len += r.len;
    r.len = 0;
    l.next = r.next;
    if (r.next >= 0) sym[r.next].prev = b.left;
    consider(l.prev, b.left);
    consider(b.left, l.next);
  }
  std::string piece;
  for (int i = sym.empty() ? -1 : 0; i >= 0; i = sym[i].next) {
    if (sym[i].len == 0) continue;
    piece.assign(word, sym[i].off, sym[i].len);
    const int32_t id = Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    // As llama.cpp: each byte of the piece as a one-byte token, if any.
    for (char ch : piece) {
      const int32_t bid = Find(std::string(1, ch));
      if (bid >= 0) out->push_back(bid);
    }
  }
}

std::string BpeTokenizer::DecodePiece(int32_t token) const {
  if (token < 0 || static_cast<size_t>(token) >= vocab_.pieces.size()) return "";
  const std::string& p = vocab_.pieces[token];
  const int32_t t = Type(token);
  if (t == kTokenUserDefined) return p;
  if (t != kTokenNormal) return "";
  std::string out;
  for (uint32_t cp : DecodeUtf8Lenient(p)) {
    auto it = unicode_to_byte_.find(cp);
    if (it != unicode_to_byte_.end()) {
      out.push_back(static_cast<char>(it->second));
    } else {
      AppendUtf8(cp, &out);  // not in the alphabet: kept as written
    }
  }
  return out;
}

}  // namespace cacheopt
