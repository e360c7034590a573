#include "exec/cpu/grammar_mask.h"

#include <algorithm>

namespace cacheopt {

TokenTrie::TokenTrie(const std::vector<std::string>& bytes)
    : vocab_(static_cast<int32_t>(bytes.size())), bytes_(bytes), nodes_(1) {
  for (size_t id = 0; id < bytes.size(); ++id) {
    if (bytes[id].empty()) continue;
    int32_t node = 0;
    for (char ch : bytes[id]) {
      const auto c = static_cast<uint8_t>(ch);
      auto& kids = nodes_[static_cast<size_t>(node)].children;
      auto it = std::lower_bound(kids.begin(), kids.end(), std::make_pair(c, int32_t{-1}));
      if (it != kids.end() && it->first == c) {
        node = it->second;
      } else {
        const auto child = static_cast<int32_t>(nodes_.size());
        kids.insert(it, {c, child});
        nodes_.emplace_back();  // invalidates `kids`; not used after
        node = child;
      }
    }
    nodes_[static_cast<size_t>(node)].tokens.push_back(static_cast<int32_t>(id));
    max_len_ = std::max(max_len_, bytes[id].size());
  }
}

void TokenTrie::MarkAccepted(const JsonMatcher& m, std::vector<uint8_t>* allowed) const {
  std::vector<JsonMatcher> scratch(max_len_ + 1, m);  // one per depth, reused across siblings
  Walk(0, 0, &scratch, allowed);
}

void TokenTrie::Walk(int32_t node, size_t depth, std::vector<JsonMatcher>* scratch,
                     std::vector<uint8_t>* allowed) const {
  const JsonMatcher& here = (*scratch)[depth];
  JsonMatcher& next = (*scratch)[depth + 1];
  for (const auto& [c, child] : nodes_[static_cast<size_t>(node)].children) {
    next.CopyStateFrom(here);
    if (!next.Feed(c)) continue;
    const Node& n = nodes_[static_cast<size_t>(child)];
    for (int32_t id : n.tokens) (*allowed)[static_cast<size_t>(id)] = 1;
    if (!n.children.empty() && !next.Done()) Walk(child, depth + 1, scratch, allowed);
  }
}

const std::vector<uint8_t>* GrammarMaskCache::Find(const std::string& key) const {
  auto it = masks_.find(key);
  return it == masks_.end() ? nullptr : &it->second.mask;
}

const std::vector<uint8_t>& GrammarMaskCache::Insert(std::string key, std::vector<uint8_t> mask,
                                                     std::shared_ptr<const void> owner) {
  ++misses_;
  const size_t size = mask.size() + key.size();
  if (bytes_ + size > max_bytes_ && !masks_.empty()) {
    // Cleared whole: callers hold no reference across steps.
    masks_.clear();
    bytes_ = 0;
  }
  bytes_ += size;
  return masks_.insert_or_assign(std::move(key), Entry{std::move(mask), std::move(owner)}).first->second.mask;
}

GrammarState::GrammarState(std::shared_ptr<const JsonSchema> schema, std::shared_ptr<const TokenTrie> trie,
                           std::vector<int32_t> stop_ids, GrammarMaskCache* cache)
    : schema_(schema), trie_(std::move(trie)), stop_ids_(std::move(stop_ids)), matcher_(std::move(schema)) {
  if (cache == nullptr) own_cache_ = std::make_unique<GrammarMaskCache>();
  cache_ = cache != nullptr ? cache : own_cache_.get();
}

const std::vector<uint8_t>& GrammarState::Mask() {
  // The schema and the stop ids are part of the key: sequences share the cache.
  std::string key;
  const JsonSchema* root = schema_.get();
  key.append(reinterpret_cast<const char*>(&root), sizeof root);
  for (int32_t id : stop_ids_) key.append(reinterpret_cast<const char*>(&id), sizeof id);
  key.push_back('|');
  key += matcher_.Key();
  if (const std::vector<uint8_t>* hit = cache_->Find(key)) return *hit;
  std::vector<uint8_t> mask(static_cast<size_t>(trie_->vocab_size()), 0);
  trie_->MarkAccepted(matcher_, &mask);
  const uint8_t end = matcher_.Accepting() ? 1 : 0;
  for (int32_t id : stop_ids_)
    if (id >= 0 && id < trie_->vocab_size()) mask[static_cast<size_t>(id)] = end;
  ++computed_;
  return cache_->Insert(std::move(key), std::move(mask), schema_);
}

bool GrammarState::Accept(int32_t token) {
  if (std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end()) return matcher_.Accepting();
  if (token < 0 || token >= trie_->vocab_size() || trie_->bytes(token).empty()) return false;
  return matcher_.Feed(trie_->bytes(token));
}

}  // namespace cacheopt
