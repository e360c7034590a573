#include "server/stop_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cacheopt {
namespace {

// Feeds the pieces; returns everything emitted (Flush included unless stopped).
std::string Feed(StopMatcher& m, const std::vector<std::string>& pieces, bool* stopped = nullptr) {
  std::string out;
  for (const auto& p : pieces) {
    auto o = m.Push(p);
    out += o.text;
    if (o.stopped) break;
  }
  out += m.Flush();
  if (stopped) *stopped = m.stopped();
  return out;
}

TEST(StopMatcherTest, NoStopsPassesEverythingThrough) {
  StopMatcher m;
  EXPECT_EQ(m.Push("Hello").text, "Hello");
  EXPECT_EQ(m.Push(", world").text, ", world");
  EXPECT_EQ(m.held(), 0u);
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcherTest, StopInsideOnePieceTruncatesAndDropsIt) {
  StopMatcher m({"\n\n"});
  auto o = m.Push("The end.\n\nNext");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.matched, 0);
  EXPECT_EQ(o.text, "The end.");
  EXPECT_EQ(m.Push("more").text, "");  // ignored after the match
  EXPECT_EQ(m.Flush(), "");
}

TEST(StopMatcherTest, StopSplitAcrossPieces) {
  StopMatcher m({"STOP"});
  auto a = m.Push("abc ST");
  EXPECT_EQ(a.text, "abc ");  // "ST" might begin STOP
  EXPECT_EQ(m.held(), 2u);
  auto b = m.Push("O");
  EXPECT_EQ(b.text, "");
  auto c = m.Push("P tail");
  EXPECT_TRUE(c.stopped);
  EXPECT_EQ(c.text, "");
}

TEST(StopMatcherTest, HeldPrefixIsReleasedWhenItCannotMatch) {
  StopMatcher m({"STOP"});
  EXPECT_EQ(m.Push("a ST").text, "a ");
  auto o = m.Push("ART");
  EXPECT_FALSE(o.stopped);
  EXPECT_EQ(o.text, "START");
  EXPECT_EQ(m.held(), 0u);
}

TEST(StopMatcherTest, FlushReleasesAPartialMatchAtTheEnd) {
  StopMatcher m({"STOP"});
  bool stopped = true;
  EXPECT_EQ(Feed(m, {"end ST", "O"}, &stopped), "end STO");
  EXPECT_FALSE(stopped);
}

TEST(StopMatcherTest, OverlappingPrefixes) {
  // "aab": the first "a" is released once "aa" cannot start "ab".
  StopMatcher m({"ab"});
  EXPECT_EQ(m.Push("a").text, "");
  EXPECT_EQ(m.Push("a").text, "a");
  auto o = m.Push("b");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.text, "");

  // A self-overlapping stop string: "abab" within "ababab".
  StopMatcher n({"abab"});
  bool stopped = false;
  EXPECT_EQ(Feed(n, {"xab", "a", "bab"}, &stopped), "x");
  EXPECT_TRUE(stopped);
}

TEST(StopMatcherTest, MultipleStopsTheEarliestStartWins) {
  StopMatcher m({"world", "lo w"});
  auto o = m.Push("hello world");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.matched, 1);
  EXPECT_EQ(o.text, "hel");

  // The held suffix is the longest one that prefixes any stop.
  StopMatcher n({"xyz", "yq"});
  EXPECT_EQ(n.Push("axy").text, "a");
  EXPECT_EQ(n.held(), 2u);
  auto p = n.Push("q");  // "xyq": "yq" completes, "xyz" cannot
  EXPECT_TRUE(p.stopped);
  EXPECT_EQ(p.matched, 1);
  EXPECT_EQ(p.text, "x");
}

TEST(StopMatcherTest, CharacterByCharacterEqualsWholeText) {
  const std::string text = "one two; three;; four";
  for (const std::vector<std::string>& stops :
       {std::vector<std::string>{";;"}, {"four", "; t"}, {"zzz"}, {"o t"}}) {
    StopMatcher whole(stops);
    std::string expect = Feed(whole, {text});
    StopMatcher chars(stops);
    std::vector<std::string> pieces;
    for (char c : text) pieces.emplace_back(1, c);
    EXPECT_EQ(Feed(chars, pieces), expect) << stops[0];
  }
}

TEST(StopMatcherTest, EmptyStopStringsAreDropped) {
  StopMatcher m({"", "x"});
  auto o = m.Push("abx");
  EXPECT_TRUE(o.stopped);
  EXPECT_EQ(o.matched, 0);  // index after dropping ""
  EXPECT_EQ(o.text, "ab");
}

TEST(StopMatcherTest, IncompleteUtf8IsHeldBack) {
  StopMatcher m;
  const std::string euro = "\xE2\x82\xAC";  // U+20AC, three bytes
  EXPECT_EQ(m.Push("a" + euro.substr(0, 1)).text, "a");
  EXPECT_EQ(m.Push(euro.substr(1, 1)).text, "");
  EXPECT_EQ(m.Push(euro.substr(2, 1) + "b").text, euro + "b");
  EXPECT_EQ(m.Push("\xF0\x9F").text, "");  // half of a four-byte emoji...
  EXPECT_EQ(m.Flush(), "\xF0\x9F");        // ...released at the end
}

TEST(StopMatcherTest, CompleteUtf8Prefix) {
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("abc"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xC3"), 1u);
  EXPECT_EQ(CompleteUtf8Prefix("a\xC3\xA9"), 3u);
  EXPECT_EQ(CompleteUtf8Prefix("\xE2\x82"), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(CompleteUtf8Prefix("\xF0\x9F\x98\x80"), 4u);
  EXPECT_EQ(CompleteUtf8Prefix("\x80\x80"), 2u);  // malformed: passed on
  EXPECT_EQ(CompleteUtf8Prefix("a\xFF"), 2u);
}

}  // namespace
}  // namespace cacheopt
