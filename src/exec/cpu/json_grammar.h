// A byte-level automaton that accepts exactly the JSON texts matching a
// schema from a documented subset (objects, arrays, strings, numbers,
// integers, booleans, null, enums, required properties), for constrained
// decoding (response_format). It is fed one byte at a time and says, before
// each byte, whether that byte can still lead to a complete match, so a
// generator masked by it never writes an unparseable prefix.
//
// Choices that keep the language finite and the masks cacheable (what the
// output looks like, documented in docs/server.md):
// - whitespace: at most one ' ' before a value, a key, ':', ',', '}' or ']';
//   nothing after the complete value;
// - object properties come in the schema's order; optional ones may be
//   skipped, required ones may not; no other keys are written (valid for
//   any additionalProperties). A free object (json_object, or a schema
//   object without "properties") takes any keys;
// - numbers: at most 15 integer digits, 15 fraction digits and 2 exponent
//   digits (every number fits a double); integers have no fraction or exponent;
// - strings: valid UTF-8, no raw control characters, escapes \" \\ \/ \b \f
//   \n \r \t and \uXXXX outside the surrogate range; min/maxLength count
//   code points (an escape is one).
//
// - anyOf: the text matches at least one alternative. The matcher follows
//   every alternative still possible (a set of stacks, deduplicated, so the
//   state stays a finite key); with no anyOf in the schema it is one stack.
//
// Upstream: XGrammar and llama.cpp's json-schema-to-grammar compile schemas
// into grammars the same way (properties in order, bounded whitespace); this
// is a direct pushdown automaton rather than a general grammar engine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cacheopt {

struct JsonSchema {
  enum class Kind : uint8_t { kAny, kObject, kArray, kString, kNumber, kInteger, kBoolean, kNull, kEnum, kAnyOf };
  Kind kind = Kind::kAny;

  // kObject. No properties and `free_keys`: any keys, values kAny.
  struct Property {
    std::string name;
    std::shared_ptr<const JsonSchema> schema;
    bool required = false;
  };
  std::vector<Property> properties;
  std::vector<std::string> key_literals;  // "\"name\"", JSON-escaped, per property
  bool free_keys = false;

  // kArray (items null: kAny).
  std::shared_ptr<const JsonSchema> items;
  int32_t min_items = 0, max_items = -1;  // -1: unbounded

  // kString.
  int32_t min_length = 0, max_length = -1;

  // kEnum: each allowed value as compact JSON text (at most 64).
  std::vector<std::string> literals;

  // kAnyOf: the alternatives, in order.
  std::vector<std::shared_ptr<const JsonSchema>> any_of;

  // Fills key_literals from properties (call after setting them).
  void IndexKeys();
};

// The schema json_object asks for: any JSON object.
std::shared_ptr<const JsonSchema> AnyObjectSchema();

class JsonMatcher {
 public:
  explicit JsonMatcher(std::shared_ptr<const JsonSchema> root);

  // Consumes one byte; false (and the matcher is then unusable) when no
  // match can continue with it. Callers that probe copy the matcher first.
  bool Feed(uint8_t c);
  bool Feed(const std::string& bytes);
  // The bytes so far form a complete match (end of text allowed here).
  bool Accepting() const;
  // No byte can follow (a complete value, nothing optional pending).
  bool Done() const { return done_; }
  // The state as bytes: equal keys mean equal futures (mask caching).
  std::string Key() const;
  // Takes `other`'s state (a matcher of the same schema) without
  // allocating once the stack has room: the trie walk's backtracking.
  void CopyStateFrom(const JsonMatcher& other) {
    stack_.assign(other.stack_.begin(), other.stack_.end());
    if (!more_.empty() || !other.more_.empty()) more_ = other.more_;
    done_ = other.done_;
    dead_ = other.dead_;
  }

 private:
  enum Type : uint8_t { kValue, kObject, kArray, kString, kNumber, kLiteral };
  struct Frame {
    const JsonSchema* schema = nullptr;
    const std::vector<std::string>* lits = nullptr;  // kLiteral
    uint64_t alive = 0;                              // kLiteral: candidate bits
    int32_t a = 0, b = 0;  // object: next property, matched key; array: items; string: length / hex; number / literal: count, pos
    uint8_t type = kValue, stage = 0, ws = 0, need = 0, lo = 0, hi = 0;
    bool integer = false;
  };
  // Process `c` at the top frame; the bool result is acceptance.
  bool Step(uint8_t c);
  bool StartValue(Frame& f, uint8_t c);
  bool StepObject(Frame& f, uint8_t c);
  bool StepArray(Frame& f, uint8_t c);
  bool StepString(Frame& f, uint8_t c);
  bool StepNumber(Frame& f, uint8_t c, bool* reprocess);
  bool StepLiteral(Frame& f, uint8_t c, bool* reprocess);
  // The top frame finished: pop it and tell its parent.
  void Complete(int32_t matched = -1);
  bool NumberComplete(const Frame& f) const;
  bool LiteralComplete(const Frame& f, int32_t* which) const;
  // One stack may end here: complete, or a number / literal at the root.
  bool BranchAccepting(const std::vector<Frame>& stack) const;
  // Feed's path when an anyOf split or splits the state: steps every
  // branch; `main_ok` says whether stack_ took `c` already.
  bool FeedBranches(uint8_t c, bool stepped_main, bool main_ok);
  static void PutFrames(std::string* k, const std::vector<Frame>& stack);

  std::shared_ptr<const JsonSchema> root_;
  std::vector<Frame> stack_;
  // anyOf: the other alternatives still alive, each a stack like stack_
  // (empty: the text has followed one path only).
  std::vector<std::vector<Frame>> more_;
  // Scratch for a Feed: stacks split off at an anyOf, to take the byte from
  // where they split; the branches that took it.
  std::vector<std::vector<Frame>> forks_, survivors_;
  bool done_ = false;
  bool dead_ = false;
};

}  // namespace cacheopt
