#include "exec/cpu/json_grammar.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "exec/cpu/grammar_mask.h"
#include "exec/cpu/json_schema_match_test_util.h"
#include "exec/cpu/sampler.h"

namespace cacheopt {
namespace {

using K = JsonSchema::Kind;
using json = nlohmann::json;

std::shared_ptr<JsonSchema> Of(K k) {
  auto s = std::make_shared<JsonSchema>();
  s->kind = k;
  return s;
}

// {"name": string(1..8) required, "age": integer, "tags": [enum "a"|"b"|7, at most 3],
//  "score": number, "ok": boolean required, "none": null}
std::shared_ptr<const JsonSchema> Person() {
  auto name = Of(K::kString);
  name->min_length = 1;
  name->max_length = 8;
  auto tag = Of(K::kEnum);
  tag->literals = {"\"a\"", "\"b\"", "7"};
  auto tags = Of(K::kArray);
  tags->items = tag;
  tags->max_items = 3;
  auto o = Of(K::kObject);
  o->properties = {{"name", name, true},        {"age", Of(K::kInteger), false}, {"tags", tags, false},
                   {"score", Of(K::kNumber), false}, {"ok", Of(K::kBoolean), true}, {"none", Of(K::kNull), false}};
  o->IndexKeys();
  return o;
}

bool Accepts(const std::shared_ptr<const JsonSchema>& s, const std::string& text) {
  JsonMatcher m(s);
  return m.Feed(text) && m.Accepting();
}
bool AcceptsPrefix(const std::shared_ptr<const JsonSchema>& s, const std::string& text) {
  JsonMatcher m(s);
  return m.Feed(text);
}

TEST(JsonGrammarTest, AcceptsMatchingTextsAndNothingElse) {
  auto s = Person();
  EXPECT_TRUE(Accepts(s, R"({"name":"Al","ok":true})"));
  EXPECT_TRUE(Accepts(s, R"({ "name": "Al", "age": -12, "tags": ["a", 7], "score": 1.5e-3, "ok": false, "none": null })"));
  EXPECT_TRUE(Accepts(s, R"({"name":"\u00e9\n","ok":true})"));
  EXPECT_TRUE(Accepts(s, "{\"name\":\"h\xc3\xa9\",\"ok\":true}"));
  EXPECT_FALSE(Accepts(s, R"({"name":"Al"})"));                       // "ok" is required
  EXPECT_FALSE(AcceptsPrefix(s, R"({"ok")"));                         // "name" cannot be skipped
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"","ok")"));               // minLength 1
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"123456789)"));            // maxLength 8
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","age":1.5)"));        // an integer
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","age":01)"));         // no leading zero
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","tags":["c")"));      // not in the enum
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","tags":[7,7,7,)"));   // maxItems 3
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","ok":true,"age")"));  // schema order
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","extra")"));          // no other keys
  EXPECT_FALSE(AcceptsPrefix(s, "{\"name\":\"\xc3("));                // bad UTF-8
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"\ud800)"));               // a lone surrogate
  EXPECT_FALSE(AcceptsPrefix(s, "{\"name\":\"a\tb"));                 // a raw control character
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"Al","ok":true} )"));      // nothing after the value
  EXPECT_FALSE(AcceptsPrefix(s, "{  \"name\""));                       // at most one space
}

TEST(JsonGrammarTest, TopLevelScalarsEndWhereTheyMayEnd) {
  auto num = Of(K::kNumber);
  EXPECT_TRUE(Accepts(num, "-0.5E+12"));
  EXPECT_FALSE(Accepts(num, "-"));
  EXPECT_FALSE(Accepts(num, "1."));
  auto e = Of(K::kEnum);
  e->literals = {"1", "12", "\"x\""};
  EXPECT_TRUE(Accepts(e, "1"));
  EXPECT_TRUE(Accepts(e, "12"));
  EXPECT_FALSE(AcceptsPrefix(e, "123"));
  JsonMatcher m(e);
  ASSERT_TRUE(m.Feed(std::string("\"x\"")));
  EXPECT_TRUE(m.Done());
  EXPECT_TRUE(Accepts(AnyObjectSchema(), R"({"a": [1, {"b": null}, "c", true], "d": -2e5})"));
  EXPECT_FALSE(AcceptsPrefix(AnyObjectSchema(), "["));  // json_object: an object
}

// From every state a random walk reaches, some byte continues or the text
// is complete: the automaton never lets a prefix through that cannot be
// finished; every finished text parses and matches.
TEST(JsonGrammarTest, RandomWalksNeverStrandAndAlwaysMatch) {
  auto bounded_any_array = Of(K::kArray);
  bounded_any_array->max_items = 2;
  auto word = Of(K::kString);
  word->max_length = 6;
  bounded_any_array->items = word;
  auto nested = Of(K::kObject);
  nested->properties = {{"person", Person(), true}, {"list", bounded_any_array, false}, {"n", Of(K::kNumber), true}};
  nested->IndexKeys();
  const std::vector<std::shared_ptr<const JsonSchema>> schemas = {Person(), nested};
  uint64_t rng = 12345;
  int finished = 0;
  for (const auto& schema : schemas) {
    for (int walk = 0; walk < 200; ++walk) {
      JsonMatcher m(schema);
      std::string text;
      for (int step = 0; step < 4000 && !m.Done(); ++step) {
        std::vector<uint8_t> next;
        for (int c = 1; c < 256; ++c) {
          JsonMatcher probe = m;
          if (probe.Feed(static_cast<uint8_t>(c))) next.push_back(static_cast<uint8_t>(c));
        }
        ASSERT_TRUE(!next.empty() || m.Accepting()) << "stranded after: " << text;
        rng = SplitMixHash(rng);
        if (next.empty() || (m.Accepting() && rng % 4 == 0)) break;
        // Prefer structure over long strings so walks end.
        const uint8_t c = next[rng % next.size()];
        ASSERT_TRUE(m.Feed(c));
        text.push_back(static_cast<char>(c));
      }
      if (!m.Accepting()) continue;  // cut by the step cap
      ++finished;
      json v;
      ASSERT_NO_THROW(v = json::parse(text)) << text;
      EXPECT_TRUE(jsontest::Matches(v, *schema)) << text;
    }
  }
  EXPECT_GT(finished, 300);
}

// The forced tool call's shape: anyOf of {"name": <one name>, "arguments":
// <that tool's schema>}, names sharing a prefix ("get" / "get_weather").
std::shared_ptr<const JsonSchema> TwoToolCalls() {
  auto call = [](const std::string& name, std::shared_ptr<const JsonSchema> args) {
    auto n = Of(K::kEnum);
    n->literals = {"\"" + name + "\""};
    auto o = Of(K::kObject);
    o->properties = {{"name", n, true}, {"arguments", std::move(args), true}};
    o->IndexKeys();
    return o;
  };
  auto city = Of(K::kString);
  city->max_length = 5;
  auto unit = Of(K::kEnum);
  unit->literals = {"\"c\"", "\"f\""};
  auto weather = Of(K::kObject);
  weather->properties = {{"city", city, true}, {"unit", unit, false}};
  weather->IndexKeys();
  auto get = Of(K::kObject);
  get->properties = {{"key", Of(K::kInteger), true}};
  get->IndexKeys();
  auto any = Of(K::kAnyOf);
  any->any_of = {call("get", get), call("get_weather", weather)};
  return any;
}

TEST(JsonGrammarTest, AnyOfTiesEachNameToItsOwnArguments) {
  auto s = TwoToolCalls();
  EXPECT_TRUE(Accepts(s, R"({"name":"get","arguments":{"key":3}})"));
  EXPECT_TRUE(Accepts(s, R"({"name": "get_weather", "arguments": {"city": "Oslo", "unit": "c"}})"));
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"get","arguments":{"city")"));          // get's arguments
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"get_weather","arguments":{"key")"));   // get_weather's
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"set")"));                              // not a declared tool
  EXPECT_FALSE(Accepts(s, R"({"name":"get_weather","arguments":{}})"));           // city is required
  EXPECT_FALSE(AcceptsPrefix(s, R"({"name":"get_weather","arguments":{"city":"Bergen")"));  // maxLength 5
  // Scalars and nesting: anyOf inside an array, numbers beside strings.
  auto num_or_word = Of(K::kAnyOf);
  num_or_word->any_of = {Of(K::kInteger), Of(K::kString)};
  auto list = Of(K::kArray);
  list->items = num_or_word;
  EXPECT_TRUE(Accepts(list, R"([1, "a", 22])"));
  EXPECT_FALSE(AcceptsPrefix(list, "[1.5"));
  EXPECT_FALSE(AcceptsPrefix(list, "[true"));
  EXPECT_TRUE(Accepts(num_or_word, "12"));  // a root number may end at the end of text
}

TEST(JsonGrammarTest, AnyOfRandomWalksNeverStrandAndAlwaysMatch) {
  // Every byte the matcher allows keeps a complete match reachable: random
  // walks never strand and what they finish parses and matches.
  auto num_or_word = Of(K::kAnyOf);
  num_or_word->any_of = {Of(K::kInteger), Of(K::kString), Person()};
  auto list = Of(K::kArray);
  list->items = num_or_word;
  list->max_items = 3;
  const std::vector<std::shared_ptr<const JsonSchema>> schemas = {TwoToolCalls(), list};
  uint64_t rng = 777;
  int finished = 0;
  for (const auto& schema : schemas) {
    for (int walk = 0; walk < 150; ++walk) {
      JsonMatcher m(schema);
      std::string text;
      for (int step = 0; step < 4000 && !m.Done(); ++step) {
        std::vector<uint8_t> next;
        for (int c = 1; c < 256; ++c) {
          JsonMatcher probe = m;
          if (probe.Feed(static_cast<uint8_t>(c))) next.push_back(static_cast<uint8_t>(c));
        }
        ASSERT_TRUE(!next.empty() || m.Accepting()) << "stranded after: " << text;
        rng = SplitMixHash(rng);
        if (next.empty() || (m.Accepting() && rng % 4 == 0)) break;
        const uint8_t c = next[rng % next.size()];
        ASSERT_TRUE(m.Feed(c));
        text.push_back(static_cast<char>(c));
        // Every prefix is one some match continues: no unparseable prefix.
      }
      if (!m.Accepting()) continue;
      ++finished;
      json v;
      ASSERT_NO_THROW(v = json::parse(text)) << text;
      EXPECT_TRUE(jsontest::Matches(v, *schema)) << text;
    }
  }
  EXPECT_GT(finished, 200);
}

TEST(JsonGrammarTest, AnyOfStatesHaveStableKeysAndCopy) {
  // The same text reached twice gives the same key; a copy continues alike.
  auto s = TwoToolCalls();
  JsonMatcher a(s), b(s);
  ASSERT_TRUE(a.Feed(R"({"name":"get)"));
  ASSERT_TRUE(b.Feed(R"({"name":"get)"));
  EXPECT_EQ(a.Key(), b.Key());
  JsonMatcher c(s);
  c.CopyStateFrom(a);
  EXPECT_EQ(c.Key(), a.Key());
  EXPECT_TRUE(c.Feed(R"(_weather","arguments":{"city":"x"}})"));
  EXPECT_TRUE(c.Done());
  EXPECT_TRUE(a.Feed(R"(","arguments":{"key":1}})"));
  EXPECT_TRUE(a.Done());
  JsonMatcher d(s);
  ASSERT_TRUE(d.Feed(R"({"name":"get_)"));
  EXPECT_NE(d.Key(), b.Key());
}

TEST(JsonGrammarTest, TokenMasksEqualBruteForceAndAreCached) {
  const std::vector<std::string> vocab = {"", "{", "}", "\"", "name", "\":", " \"", "Al", "ok", "true", ",", "\"ok\":",
                                          "1", "23", "false}", "{\"name\":\"", "\u00e9", "\xc3", "\xa9", ""};
  auto trie = std::make_shared<const TokenTrie>(vocab);
  GrammarState g(Person(), trie, {19});
  const std::vector<int32_t> path = {15, 7, 3, 10, 11, 14};  // {"name":"Al","ok":false}
  for (size_t step = 0; step <= path.size(); ++step) {
    const std::vector<uint8_t>& mask = g.Mask();
    for (int32_t id = 0; id < static_cast<int32_t>(vocab.size()); ++id) {
      bool ok;
      if (id == 19) {
        ok = g.matcher().Accepting();
      } else {
        JsonMatcher probe = g.matcher();
        ok = !vocab[id].empty() && probe.Feed(vocab[id]);
      }
      EXPECT_EQ(mask[id] != 0, ok) << "step " << step << " token " << id;
    }
    if (step < path.size()) {
      ASSERT_TRUE(g.Accept(path[step])) << step;
    }
  }
  EXPECT_TRUE(g.matcher().Done());
  const int64_t computed = g.mask_computations();
  (void)g.Mask();
  EXPECT_EQ(g.mask_computations(), computed);  // the same state: cached
}

TEST(JsonGrammarTest, AnyOfTokenMasksEqualBruteForce) {
  // The trie walk copies multi-branch states (CopyStateFrom): its masks
  // equal feeding each token alone, along a call of either tool.
  const std::vector<std::string> vocab = {"{\"name\":\"", "get", "_weather", "\",\"arguments\":{", "\"key\":",
                                          "\"city\":\"", "Oslo", "\"", "}}", "3", "}", ",", "_", ""};
  auto trie = std::make_shared<const TokenTrie>(vocab);
  const std::vector<std::vector<int32_t>> paths = {{0, 1, 3, 4, 9, 8}, {0, 1, 2, 3, 5, 6, 7, 8}};
  for (const auto& path : paths) {
    GrammarState g(TwoToolCalls(), trie, {13});
    for (size_t step = 0; step <= path.size(); ++step) {
      const std::vector<uint8_t>& mask = g.Mask();
      for (int32_t id = 0; id < static_cast<int32_t>(vocab.size()); ++id) {
        bool ok;
        if (id == 13) {
          ok = g.matcher().Accepting();
        } else {
          JsonMatcher probe = g.matcher();
          ok = probe.Feed(vocab[id]);
        }
        EXPECT_EQ(mask[id] != 0, ok) << "step " << step << " token " << id;
      }
      if (step < path.size()) {
        ASSERT_TRUE(g.Accept(path[step])) << step;
      }
    }
    EXPECT_TRUE(g.matcher().Done());
  }
}

}  // namespace
}  // namespace cacheopt
