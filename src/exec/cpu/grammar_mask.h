// Constrained decoding's per-step token mask: which tokens a JsonMatcher
// accepts whole from its current state. Each token's bytes are walked
// through the automaton, sharing the walk of common prefixes through a trie
// of the vocabulary (as llama.cpp's grammar sampler and XGrammar do), and
// the mask is cached per automaton state (JsonMatcher::Key): inside a
// string or between values the state repeats, so most steps cost one hash
// lookup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "exec/cpu/json_grammar.h"

namespace cacheopt {

class TokenTrie {
 public:
  // bytes[id]: the text token `id` appends; "" for tokens a grammar never
  // allows (BOS, EOS and other specials).
  explicit TokenTrie(const std::vector<std::string>& bytes);
  // allowed[id] = 1 for every token whose bytes `m` accepts in full (the
  // others are left as they are).
  void MarkAccepted(const JsonMatcher& m, std::vector<uint8_t>* allowed) const;
  int32_t vocab_size() const { return vocab_; }
  const std::string& bytes(int32_t id) const { return bytes_[static_cast<size_t>(id)]; }

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    std::vector<int32_t> tokens;                        // tokens ending here
  };
  // `scratch[depth]` holds the matcher after the bytes down to `node`.
  void Walk(int32_t node, size_t depth, std::vector<JsonMatcher>* scratch, std::vector<uint8_t>* allowed) const;

  int32_t vocab_ = 0;
  std::vector<std::string> bytes_;
  std::vector<Node> nodes_;
  size_t max_len_ = 0;  // the longest token, in bytes
};

// Masks by automaton state, shared by every sequence of one executor (all
// json_object requests share one schema; a request's n choices share
// theirs), so a state any of them met costs a lookup. Keyed by the schema
// and JsonMatcher::Key; bounded to about `max_bytes` (cleared when full).
class GrammarMaskCache {
 public:
  explicit GrammarMaskCache(size_t max_bytes = size_t{16} << 20) : max_bytes_(max_bytes) {}
  const std::vector<uint8_t>* Find(const std::string& key) const;
  // `owner` (the schema the key names by address) is kept alive with the
  // entry, so its address cannot be reused for another schema meanwhile.
  const std::vector<uint8_t>& Insert(std::string key, std::vector<uint8_t> mask, std::shared_ptr<const void> owner);
  int64_t misses() const { return misses_; }

 private:
  size_t max_bytes_;
  size_t bytes_ = 0;
  int64_t misses_ = 0;
  struct Entry {
    std::vector<uint8_t> mask;
    std::shared_ptr<const void> owner;
  };
  std::unordered_map<std::string, Entry> masks_;
};

// One sequence's grammar: the automaton state after the tokens so far, and
// the masks of the states it has seen.
class GrammarState {
 public:
  // `cache` (null: a private one) must outlive the state.
  GrammarState(std::shared_ptr<const JsonSchema> schema, std::shared_ptr<const TokenTrie> trie,
               std::vector<int32_t> stop_ids, GrammarMaskCache* cache = nullptr);
  // The tokens allowed next: those the automaton accepts whole; the stop ids
  // exactly when the text so far is complete.
  const std::vector<uint8_t>& Mask();
  // Advances past `token` (a stop id ends the text: nothing to feed). False
  // if the token was not allowed (a caller bug).
  bool Accept(int32_t token);
  const JsonMatcher& matcher() const { return matcher_; }
  int64_t mask_computations() const { return computed_; }

 private:
  std::shared_ptr<const JsonSchema> schema_;
  std::shared_ptr<const TokenTrie> trie_;
  std::vector<int32_t> stop_ids_;
  JsonMatcher matcher_;
  std::unique_ptr<GrammarMaskCache> own_cache_;
  GrammarMaskCache* cache_;
  int64_t computed_ = 0;
};

}  // namespace cacheopt
