// Test helper: whether a parsed JSON value matches a JsonSchema, written
// from the schema subset's meaning independently of the automaton.
#pragma once

#include <nlohmann/json.hpp>

#include "exec/cpu/json_grammar.h"

namespace cacheopt::jsontest {

// Does `v` match `s` (the subset's meaning, checked independently)?
inline bool Matches(const nlohmann::json& v, const JsonSchema& s) {
  using K = JsonSchema::Kind;
  using json = nlohmann::json;
  switch (s.kind) {
    case K::kAny: return true;
    case K::kString: {
      if (!v.is_string()) return false;
      // Code points: count the non-continuation bytes.
      int32_t n = 0;
      for (unsigned char c : v.get<std::string>()) n += (c & 0xC0) != 0x80;
      return n >= s.min_length && (s.max_length < 0 || n <= s.max_length);
    }
    case K::kInteger: return v.is_number_integer();
    case K::kNumber: return v.is_number();
    case K::kBoolean: return v.is_boolean();
    case K::kNull: return v.is_null();
    case K::kEnum:
      for (const std::string& lit : s.literals)
        if (json::parse(lit) == v) return true;
      return false;
    case K::kArray: {
      if (!v.is_array()) return false;
      const auto n = static_cast<int32_t>(v.size());
      if (n < s.min_items || (s.max_items >= 0 && n > s.max_items)) return false;
      for (const json& x : v)
        if (s.items && !Matches(x, *s.items)) return false;
      return true;
    }
    case K::kObject: {
      if (!v.is_object()) return false;
      if (s.free_keys) return true;
      for (const auto& p : s.properties) {
        auto it = v.find(p.name);
        if (it == v.end()) {
          if (p.required) return false;
        } else if (!Matches(*it, *p.schema)) {
          return false;
        }
      }
      for (const auto& [k, x] : v.items()) {
        bool known = false;
        for (const auto& p : s.properties) known |= p.name == k;
        if (!known) return false;
      }
      return true;
    }
    case K::kAnyOf:
      for (const auto& alt : s.any_of)
        if (Matches(v, *alt)) return true;
      return false;
  }
  return false;
}


}  // namespace cacheopt::jsontest
