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
  }
}

void TokenTrie::MarkAccepted(const JsonMatcher& m, std::vector<uint8_t>* allowed) const {
  Walk(0, m, allowed);
}

void TokenTrie::Walk(int32_t node, const JsonMatcher& m, std::vector<uint8_t>* allowed) const {
  for (const auto& [c, child] : nodes_[static_cast<size_t>(node)].children) {
    JsonMatcher next = m;
    if (!next.Feed(c)) continue;
    const Node& n = nodes_[static_cast<size_t>(child)];
    for (int32_t id : n.tokens) (*allowed)[static_cast<size_t>(id)] = 1;
    if (!n.children.empty() && !next.Done()) Walk(child, next, allowed);
  }
}

GrammarState::GrammarState(std::shared_ptr<const JsonSchema> schema, std::shared_ptr<const TokenTrie> trie,
                           std::vector<int32_t> stop_ids)
    : trie_(std::move(trie)), stop_ids_(std::move(stop_ids)), matcher_(std::move(schema)) {}

const std::vector<uint8_t>& GrammarState::Mask() {
  std::string key = matcher_.Key();
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  if (cache_.size() >= kMaxCachedMasks) cache_.clear();  // bounded memory: vocab bytes per entry
  std::vector<uint8_t> mask(static_cast<size_t>(trie_->vocab_size()), 0);
  trie_->MarkAccepted(matcher_, &mask);
  const uint8_t end = matcher_.Accepting() ? 1 : 0;
  for (int32_t id : stop_ids_)
    if (id >= 0 && id < trie_->vocab_size()) mask[static_cast<size_t>(id)] = end;
  ++computed_;
  return cache_.emplace(std::move(key), std::move(mask)).first->second;
}

bool GrammarState::Accept(int32_t token) {
  if (std::find(stop_ids_.begin(), stop_ids_.end(), token) != stop_ids_.end()) return matcher_.Accepting();
  if (token < 0 || token >= trie_->vocab_size() || trie_->bytes(token).empty()) return false;
  return matcher_.Feed(trie_->bytes(token));
}

}  // namespace cacheopt
