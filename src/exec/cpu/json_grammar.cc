#include "exec/cpu/json_grammar.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace cacheopt {
namespace {

// Two exponent digits keep every number within a double (a parser that reads
// into double rejects 1e400 as an overflow).
constexpr int32_t kMaxIntDigits = 15, kMaxFracDigits = 15, kMaxExpDigits = 2;

const JsonSchema* AnySchema() {
  static const JsonSchema s;
  return &s;
}
const JsonSchema* AnyArray() {
  static const JsonSchema s = [] {
    JsonSchema a;
    a.kind = JsonSchema::Kind::kArray;
    return a;
  }();
  return &s;
}
const std::vector<std::string>& Booleans() {
  static const std::vector<std::string> v = {"true", "false"};
  return v;
}
const std::vector<std::string>& NullLiteral() {
  static const std::vector<std::string> v = {"null"};
  return v;
}
const std::vector<std::string>& AnyLiterals() {
  static const std::vector<std::string> v = {"true", "false", "null"};
  return v;
}

bool IsDigit(uint8_t c) { return c >= '0' && c <= '9'; }
bool IsHex(uint8_t c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
uint64_t AllBits(size_t n) { return n >= 64 ? ~uint64_t{0} : (uint64_t{1} << n) - 1; }

// JSON-escapes a key (the same escapes nlohmann::json::dump writes).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

template <typename T>
void Put(std::string* out, T v) {
  char b[sizeof(T)];
  std::memcpy(b, &v, sizeof(T));
  out->append(b, sizeof(T));
}

}  // namespace

void JsonSchema::IndexKeys() {
  key_literals.clear();
  for (const Property& p : properties) key_literals.push_back(Quote(p.name));
}

std::shared_ptr<const JsonSchema> AnyObjectSchema() {
  static const auto s = [] {
    auto o = std::make_shared<JsonSchema>();
    o->kind = JsonSchema::Kind::kObject;
    o->free_keys = true;
    return std::shared_ptr<const JsonSchema>(std::move(o));
  }();
  return s;
}

JsonMatcher::JsonMatcher(std::shared_ptr<const JsonSchema> root) : root_(std::move(root)) {
  Frame f;
  f.schema = root_.get();
  stack_.push_back(f);
}

bool JsonMatcher::Feed(const std::string& bytes) {
  for (char c : bytes)
    if (!Feed(static_cast<uint8_t>(c))) return false;
  return true;
}

bool JsonMatcher::Feed(uint8_t c) {
  if (dead_ || done_) {
    dead_ = true;  // nothing may follow the complete value
    return false;
  }
  if (more_.empty()) {
    forks_.clear();
    const bool ok = Step(c);
    if (!forks_.empty()) return FeedBranches(c, true, ok);
    if (!ok) {
      dead_ = true;
      return false;
    }
    done_ = stack_.empty();
    return true;
  }
  forks_.clear();
  return FeedBranches(c, false, false);
}

bool JsonMatcher::FeedBranches(uint8_t c, bool stepped_main, bool main_ok) {
  survivors_.clear();
  if (stepped_main) {
    if (main_ok) survivors_.push_back(std::move(stack_));
  } else {
    more_.push_back(std::move(stack_));
    for (std::vector<Frame>& b : more_) {
      stack_ = std::move(b);
      if (Step(c)) survivors_.push_back(std::move(stack_));
    }
    more_.clear();
  }
  // Split-off alternatives take the byte from where they split (and may
  // split again: forks_ grows while it is walked).
  for (size_t i = 0; i < forks_.size(); ++i) {
    stack_ = std::move(forks_[i]);
    if (Step(c)) survivors_.push_back(std::move(stack_));
  }
  forks_.clear();
  if (survivors_.empty()) {
    stack_.clear();
    dead_ = true;
    return false;
  }
  // Equal stacks have equal futures: keep one of each, in key order, so
  // that equal states have equal keys.
  if (survivors_.size() > 1) {
    std::vector<std::pair<std::string, size_t>> keys;
    for (size_t i = 0; i < survivors_.size(); ++i) {
      std::string k;
      PutFrames(&k, survivors_[i]);
      keys.emplace_back(std::move(k), i);
    }
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end(), [](const auto& a, const auto& b) { return a.first == b.first; }),
               keys.end());
    std::vector<std::vector<Frame>> kept;
    for (const auto& kv : keys) kept.push_back(std::move(survivors_[kv.second]));
    survivors_.swap(kept);
  }
  stack_ = std::move(survivors_[0]);
  for (size_t i = 1; i < survivors_.size(); ++i) more_.push_back(std::move(survivors_[i]));
  survivors_.clear();
  done_ = stack_.empty();
  for (const std::vector<Frame>& b : more_) done_ = done_ && b.empty();
  return true;
}

bool JsonMatcher::Step(uint8_t c) {
  for (;;) {
    if (stack_.empty()) return false;
    Frame& f = stack_.back();
    bool reprocess = false, ok = false;
    switch (f.type) {
      case kValue: ok = StartValue(f, c); break;
      case kObject: ok = StepObject(f, c); break;
      case kArray:
        // A value starts: push it and let it take the byte.
        if (c != ' ' && (f.stage == 0 || f.stage == 3) && c != ']') {
          const JsonSchema* items = f.schema->items ? f.schema->items.get() : AnySchema();
          if (f.schema->max_items == 0) return false;
          f.stage = 1;
          f.ws = 0;
          Frame v;
          v.schema = items;
          stack_.push_back(v);
          reprocess = true;
          ok = true;
        } else {
          ok = StepArray(f, c);
        }
        break;
      case kString: ok = StepString(f, c); break;
      case kNumber: ok = StepNumber(f, c, &reprocess); break;
      case kLiteral: ok = StepLiteral(f, c, &reprocess); break;
    }
    if (!ok) return false;
    if (!reprocess) return true;
  }
}

bool JsonMatcher::StartValue(Frame& f, uint8_t c) {
  using K = JsonSchema::Kind;
  if (c == ' ') {
    if (f.ws) return false;
    f.ws = 1;
    return true;
  }
  const JsonSchema* s = f.schema != nullptr ? f.schema : AnySchema();
  if (s->kind == K::kAnyOf) {
    // Each further alternative continues as its own stack from here.
    if (s->any_of.empty()) return false;
    for (size_t i = 1; i < s->any_of.size(); ++i) {
      forks_.push_back(stack_);
      forks_.back().back().schema = s->any_of[i].get();
    }
    f.schema = s->any_of[0].get();
    return StartValue(f, c);
  }
  const K k = s->kind;
  const bool any = k == K::kAny;
  Frame n;
  n.schema = s;
  if (c == '{' && (any || k == K::kObject)) {
    n.type = kObject;
    if (any) n.schema = AnyObjectSchema().get();
    f = n;
    return true;
  }
  if (c == '[' && (any || k == K::kArray)) {
    n.type = kArray;
    if (any) n.schema = AnyArray();
    f = n;
    return true;
  }
  if (c == '"' && (any || k == K::kString)) {
    n.type = kString;
    f = n;
    return true;
  }
  if ((c == '-' || IsDigit(c)) && (any || k == K::kNumber || k == K::kInteger)) {
    n.type = kNumber;
    n.integer = k == K::kInteger;
    f = n;
    bool reprocess = false;
    return StepNumber(f, c, &reprocess);
  }
  const std::vector<std::string>* lits = nullptr;
  if (k == K::kBoolean) lits = &Booleans();
  if (k == K::kNull) lits = &NullLiteral();
  if (k == K::kEnum) lits = &s->literals;
  if (any) lits = &AnyLiterals();
  if (lits == nullptr) return false;
  n.type = kLiteral;
  n.lits = lits;
  n.alive = AllBits(lits->size());
  f = n;
  bool reprocess = false;
  return StepLiteral(f, c, &reprocess) && !reprocess;
}

namespace {
bool RequiredFrom(const JsonSchema& s, int32_t from) {
  for (size_t i = static_cast<size_t>(from); i < s.properties.size(); ++i)
    if (s.properties[i].required) return true;
  return false;
}
}  // namespace

bool JsonMatcher::StepObject(Frame& f, uint8_t c) {
  const JsonSchema& s = *f.schema;
  const bool free = s.free_keys;
  const int32_t size = static_cast<int32_t>(s.properties.size());
  if (c == ' ' && (f.stage == 0 || f.stage == 2 || f.stage == 4 || f.stage == 5)) {
    if (f.ws) return false;
    f.ws = 1;
    return true;
  }
  switch (f.stage) {
    case 0:
    case 5:
      if (c == '}' && f.stage == 0) {
        if (!free && RequiredFrom(s, f.a)) return false;
        Complete();
        return true;
      }
      if (c != '"') return false;
      if (free) {
        f.stage = 1;
        f.ws = 0;
        Frame k;
        k.type = kString;
        stack_.push_back(k);
        return true;
      } else {
        if (f.a >= size) return false;
        uint64_t alive = 0;
        for (int32_t i = f.a; i < size; ++i) {
          alive |= uint64_t{1} << i;
          if (s.properties[i].required) break;  // a required key cannot be skipped
        }
        f.stage = 1;
        f.ws = 0;
        Frame k;
        k.type = kLiteral;
        k.lits = &s.key_literals;
        k.alive = alive;
        k.a = 1;  // every key literal starts with the quote just read
        stack_.push_back(k);
        return true;
      }
    case 2:
      if (c != ':') return false;
      f.stage = 3;
      f.ws = 0;
      {
        Frame v;
        v.schema = free ? AnySchema() : s.properties[static_cast<size_t>(f.b)].schema.get();
        if (v.schema == nullptr) v.schema = AnySchema();
        stack_.push_back(v);
      }
      return true;
    case 4:
      if (c == ',') {
        if (!free && f.a >= size) return false;
        f.stage = 5;
        f.ws = 0;
        return true;
      }
      if (c == '}') {
        if (!free && RequiredFrom(s, f.a)) return false;
        Complete();
        return true;
      }
      return false;
    default:
      return false;
  }
}

bool JsonMatcher::StepArray(Frame& f, uint8_t c) {
  const JsonSchema& s = *f.schema;
  if (c == ' ' && (f.stage == 0 || f.stage == 2 || f.stage == 3)) {
    if (f.ws) return false;
    f.ws = 1;
    return true;
  }
  if (f.stage == 0 && c == ']') {
    if (s.min_items > 0) return false;
    Complete();
    return true;
  }
  if (f.stage == 2) {
    if (c == ',') {
      if (s.max_items >= 0 && f.a >= s.max_items) return false;
      f.stage = 3;
      f.ws = 0;
      return true;
    }
    if (c == ']') {
      if (f.a < s.min_items) return false;
      Complete();
      return true;
    }
  }
  return false;
}

bool JsonMatcher::StepString(Frame& f, uint8_t c) {
  const JsonSchema* s = f.schema;
  const bool bounded = s != nullptr && s->kind == JsonSchema::Kind::kString && (s->min_length > 0 || s->max_length >= 0);
  auto count = [&] {
    if (bounded) ++f.a;
  };
  if (f.need > 0) {  // inside a UTF-8 sequence
    if (c < f.lo || c > f.hi) return false;
    f.lo = 0x80;
    f.hi = 0xBF;
    if (--f.need == 0) count();
    return true;
  }
  switch (f.stage) {
    case 0:
      if (c == '"') {
        if (bounded && f.a < s->min_length) return false;
        Complete();
        return true;
      }
      if (bounded && s->max_length >= 0 && f.a >= s->max_length) return false;
      if (c == '\\') {
        f.stage = 1;
        return true;
      }
      if (c < 0x20) return false;
      if (c < 0x80) {
        count();
        return true;
      }
      // UTF-8 lead bytes and the range of the byte after (RFC 3629).
      if (c >= 0xC2 && c <= 0xDF) {
        f.need = 1, f.lo = 0x80, f.hi = 0xBF;
      } else if (c == 0xE0) {
        f.need = 2, f.lo = 0xA0, f.hi = 0xBF;
      } else if (c == 0xED) {
        f.need = 2, f.lo = 0x80, f.hi = 0x9F;
      } else if (c >= 0xE1 && c <= 0xEF) {
        f.need = 2, f.lo = 0x80, f.hi = 0xBF;
      } else if (c == 0xF0) {
        f.need = 3, f.lo = 0x90, f.hi = 0xBF;
      } else if (c >= 0xF1 && c <= 0xF3) {
        f.need = 3, f.lo = 0x80, f.hi = 0xBF;
      } else if (c == 0xF4) {
        f.need = 3, f.lo = 0x80, f.hi = 0x8F;
      } else {
        return false;
      }
      return true;
    case 1:
      if (std::strchr("\"\\/bfnrt", c) != nullptr && c != 0) {
        f.stage = 0;
        count();
        return true;
      }
      if (c == 'u') {
        f.stage = 2;
        return true;
      }
      return false;
    default: {  // \uXXXX, stage 2..5: the hex digits; no surrogates (D800-DFFF)
      if (!IsHex(c)) return false;
      if (f.stage == 2) f.b = (c == 'd' || c == 'D') ? 1 : 0;
      if (f.stage == 3 && f.b == 1 && !(c >= '0' && c <= '7')) return false;
      if (++f.stage == 6) {
        f.stage = 0;
        f.b = 0;
        count();
      }
      return true;
    }
  }
}

bool JsonMatcher::NumberComplete(const Frame& f) const {
  return f.stage == 2 || f.stage == 3 || f.stage == 5 || f.stage == 8;
}

bool JsonMatcher::StepNumber(Frame& f, uint8_t c, bool* reprocess) {
  const bool digit = IsDigit(c);
  auto end = [&] {  // the number ends before `c`
    if (!NumberComplete(f)) return false;
    Complete();
    *reprocess = true;
    return true;
  };
  switch (f.stage) {
    case 0:
    case 1:
      if (c == '-' && f.stage == 0) return f.stage = 1, true;
      if (c == '0') return f.stage = 3, true;
      if (digit) return f.stage = 2, f.a = 1, true;
      return false;
    case 2:
    case 3:
      if (digit) {
        if (f.stage == 3 || f.a >= kMaxIntDigits) return false;
        ++f.a;
        return true;
      }
      if (!f.integer && c == '.') return f.stage = 4, f.a = 0, true;
      if (!f.integer && (c == 'e' || c == 'E')) return f.stage = 6, f.a = 0, true;
      return end();
    case 4:
      if (digit) return f.stage = 5, f.a = 1, true;
      return false;
    case 5:
      if (digit) {
        if (f.a >= kMaxFracDigits) return false;
        ++f.a;
        return true;
      }
      if (c == 'e' || c == 'E') return f.stage = 6, f.a = 0, true;
      return end();
    case 6:
      if (c == '+' || c == '-') return f.stage = 7, true;
      if (digit) return f.stage = 8, f.a = 1, true;
      return false;
    case 7:
      if (digit) return f.stage = 8, f.a = 1, true;
      return false;
    case 8:
      if (digit) {
        if (f.a >= kMaxExpDigits) return false;
        ++f.a;
        return true;
      }
      return end();
    default:
      return false;
  }
}

bool JsonMatcher::LiteralComplete(const Frame& f, int32_t* which) const {
  for (size_t i = 0; i < f.lits->size() && i < 64; ++i)
    if ((f.alive >> i & 1) && static_cast<int32_t>((*f.lits)[i].size()) == f.a) {
      *which = static_cast<int32_t>(i);
      return true;
    }
  return false;
}

bool JsonMatcher::StepLiteral(Frame& f, uint8_t c, bool* reprocess) {
  const auto pos = static_cast<size_t>(f.a);
  uint64_t next = 0;
  bool longer = false;  // an alive candidate continues after this byte
  int32_t ends = -1;    // the candidate this byte completes
  for (size_t i = 0; i < f.lits->size() && i < 64; ++i) {
    if (!(f.alive >> i & 1)) continue;
    const std::string& lit = (*f.lits)[i];
    if (lit.size() > pos && static_cast<uint8_t>(lit[pos]) == c) {
      next |= uint64_t{1} << i;
      if (lit.size() == pos + 1) ends = static_cast<int32_t>(i);
      else longer = true;
    }
  }
  if (next != 0) {
    f.alive = next;
    ++f.a;
    if (ends >= 0 && !longer) Complete(ends);
    return true;
  }
  int32_t which = -1;
  if (!LiteralComplete(f, &which)) return false;
  Complete(which);
  *reprocess = true;
  return true;
}

void JsonMatcher::Complete(int32_t matched) {
  stack_.pop_back();
  if (stack_.empty()) return;  // the value is complete (Feed sets done_)
  Frame& p = stack_.back();
  p.ws = 0;
  if (p.type == kObject) {
    if (p.stage == 1) {  // the key
      p.stage = 2;
      if (!p.schema->free_keys) {
        p.b = matched;
        p.a = matched + 1;
      }
    } else if (p.stage == 3) {  // the value
      p.stage = 4;
    }
  } else if (p.type == kArray && p.stage == 1) {
    p.stage = 2;
    const JsonSchema& s = *p.schema;
    if (s.min_items > 0 || s.max_items >= 0) ++p.a;  // counted only where bounded (cacheable states)
  }
}

bool JsonMatcher::BranchAccepting(const std::vector<Frame>& stack) const {
  if (stack.empty()) return true;
  if (stack.size() != 1) return false;
  const Frame& f = stack.back();
  int32_t which = -1;
  if (f.type == kNumber) return NumberComplete(f);
  if (f.type == kLiteral) return LiteralComplete(f, &which);
  return false;
}

bool JsonMatcher::Accepting() const {
  if (done_) return true;
  if (dead_) return false;
  if (BranchAccepting(stack_)) return true;
  for (const std::vector<Frame>& b : more_)
    if (BranchAccepting(b)) return true;
  return false;
}

std::string JsonMatcher::Key() const {
  std::string k;
  k.reserve(stack_.size() * 40 + 2);
  Put(&k, static_cast<uint8_t>(done_ | (dead_ << 1)));
  PutFrames(&k, stack_);
  for (const std::vector<Frame>& b : more_) {
    Put(&k, static_cast<uint32_t>(0xFFFFFFFFu));  // a branch starts (no frame begins with a null schema and these bytes)
    Put(&k, b.size());
    PutFrames(&k, b);
  }
  return k;
}

void JsonMatcher::PutFrames(std::string* out, const std::vector<Frame>& stack) {
  std::string& k = *out;
  for (const Frame& f : stack) {
    Put(&k, f.schema);
    Put(&k, f.lits);
    Put(&k, f.alive);
    Put(&k, f.a);
    Put(&k, f.b);
    const uint8_t bytes[] = {f.type, f.stage, f.ws, f.need, f.lo, f.hi, static_cast<uint8_t>(f.integer)};
    k.append(reinterpret_cast<const char*>(bytes), sizeof bytes);
  }
}

}  // namespace cacheopt
