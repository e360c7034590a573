#include "model/bpe_pretokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cacheopt {
namespace {

std::vector<std::string> Words(const std::string& text, PreTokenizerKind kind) {
  std::vector<std::string> out;
  for (const auto& cps : PreTokenize(text, kind)) {
    std::string w;
    for (uint32_t cp : cps) AppendUtf8(cp, &w);
    out.push_back(w);
  }
  return out;
}

using V = std::vector<std::string>;
constexpr auto kLlama3 = PreTokenizerKind::kLlama3;
constexpr auto kQwen2 = PreTokenizerKind::kQwen2;

// Each expectation follows the regex alternatives by hand (bpe_pretokenizer.h).
TEST(BpePreTokenizerTest, WordsTakeTheirLeadingSpaceOrPunctuation) {
  EXPECT_EQ(Words("Hello world", kLlama3), (V{"Hello", " world"}));
  EXPECT_EQ(Words("(hello)", kLlama3), (V{"(hello", ")"}));  // [^\r\n\p{L}\p{N}]?\p{L}+
  EXPECT_EQ(Words("\nhello", kLlama3), (V{"\n", "hello"}));   // but never \r or \n
}

TEST(BpePreTokenizerTest, ContractionsAreCaseInsensitive) {
  EXPECT_EQ(Words("don't", kLlama3), (V{"don", "'t"}));
  EXPECT_EQ(Words("DON'T we'll THEY'RE", kLlama3), (V{"DON", "'T", " we", "'ll", " THEY", "'RE"}));
  EXPECT_EQ(Words("'x", kLlama3), (V{"'x"}));  // not a contraction: punctuation + letters
}

TEST(BpePreTokenizerTest, DigitsGroupByThreeForLlama3AndAloneForQwen2) {
  EXPECT_EQ(Words("12345", kLlama3), (V{"123", "45"}));
  EXPECT_EQ(Words("12345", kQwen2), (V{"1", "2", "3", "4", "5"}));
  EXPECT_EQ(Words("x 3.14", kLlama3), (V{"x", " ", "3", ".", "14"}));
  EXPECT_EQ(Words("abc123", kLlama3), (V{"abc", "123"}));
}

TEST(BpePreTokenizerTest, WhitespaceRunsLeaveTheirLastSpaceToTheNextWord) {
  EXPECT_EQ(Words("a   b", kLlama3), (V{"a", "  ", " b"}));  // \s+(?!\S)
  EXPECT_EQ(Words("a   ", kLlama3), (V{"a", "   "}));       // \s+ at the end
  EXPECT_EQ(Words("a\n\nb", kLlama3), (V{"a", "\n\n", "b"}));  // \s*[\r\n]+
  EXPECT_EQ(Words("a  \n  b", kLlama3), (V{"a", "  \n", " ", " b"}));
  EXPECT_EQ(Words("x\r\n\ty", kLlama3), (V{"x", "\r\n", "\ty"}));
}

TEST(BpePreTokenizerTest, PunctuationRunsTakeOneSpaceAndTrailingNewlines) {
  EXPECT_EQ(Words("a += b;\n\nc", kLlama3), (V{"a", " +=", " b", ";\n\n", "c"}));
  EXPECT_EQ(Words("x  ...", kLlama3), (V{"x", " ", " ..."}));
}

TEST(BpePreTokenizerTest, UnicodeCategoriesComeFromIcu) {
  // Cyrillic letters; CJK letters with a CJK full stop (punctuation).
  EXPECT_EQ(Words("\xD0\x9F\xD1\x80\xD0\xB8 \xD0\xBC\xD0\xB8\xD1\x80", kLlama3),
            (V{"\xD0\x9F\xD1\x80\xD0\xB8", " \xD0\xBC\xD0\xB8\xD1\x80"}));
  EXPECT_EQ(Words("\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82", kLlama3), (V{"\xE4\xBD\xA0\xE5\xA5\xBD", "\xE3\x80\x82"}));
  // Emoji are neither letters nor numbers: one punctuation-like run.
  EXPECT_EQ(Words(" \xF0\x9F\x98\x80\xF0\x9F\x8E\x89!", kLlama3), (V{" \xF0\x9F\x98\x80\xF0\x9F\x8E\x89!"}));
  // Arabic-Indic digits are \p{N}; U+3000 is White_Space.
  EXPECT_EQ(Words("\xD9\xA1\xD9\xA2\xD9\xA3\xD9\xA4", kLlama3), (V{"\xD9\xA1\xD9\xA2\xD9\xA3", "\xD9\xA4"}));
  EXPECT_EQ(Words("a\xE3\x80\x80\xE3\x80\x80" "b", kLlama3), (V{"a", "\xE3\x80\x80", "\xE3\x80\x80" "b"}));
}

TEST(BpePreTokenizerTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(DecodeUtf8Lenient("a\xFF" "b\xC3"), (std::vector<uint32_t>{'a', 0xFFFD, 'b', 0xFFFD}));
  EXPECT_EQ(DecodeUtf8Lenient("\xE2\x82"), (std::vector<uint32_t>{0xFFFD, 0xFFFD}));
  EXPECT_EQ(Words("x\xFF", kLlama3), (V{"x", "\xEF\xBF\xBD"}));
}

TEST(BpePreTokenizerTest, WordsConcatenateToTheText) {
  const std::string text = "It's 2026!  Caf\xC3\xA9 \t\n x=1,000;\r\n  \xF0\x9F\x98\x80 done  ";
  for (auto kind : {kLlama3, kQwen2}) {
    std::string joined;
    for (const std::string& w : Words(text, kind)) joined += w;
    EXPECT_EQ(joined, text);
  }
}

}  // namespace
}  // namespace cacheopt
