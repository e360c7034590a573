#include "trace/csv_splitter.h"

#include <gtest/gtest.h>

namespace cacheopt {
namespace {

using Fields = std::vector<std::string>;

std::vector<std::pair<int64_t, Fields>> SplitAll(std::string_view text, std::string* error) {
  CsvSplitter splitter(text);
  std::vector<std::pair<int64_t, Fields>> out;
  Fields fields;
  int64_t line = 0;
  while (splitter.Next(&fields, &line)) out.emplace_back(line, fields);
  *error = splitter.error();
  return out;
}

TEST(CsvSplitterTest, PlainCrlfBomAndMissingFinalNewline) {
  std::string error;
  const auto recs = SplitAll(
      "\xEF\xBB\xBF"
      "a,b\r\n1, 2 \r\n\r\n3,4",
      &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].second, (Fields{"a", "b"}));
  EXPECT_EQ(recs[1], (std::pair<int64_t, Fields>{2, {"1", "2"}}));
  EXPECT_EQ(recs[2], (std::pair<int64_t, Fields>{4, {"3", "4"}}));
}

TEST(CsvSplitterTest, QuotedFieldsKeepCommasQuotesAndNewlines) {
  std::string error;
  const auto recs = SplitAll("p,n\n\"a, \"\"b\"\"\nc\",7\n\"x\" ,8\nlast,9\n", &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(recs.size(), 4u);
  EXPECT_EQ(recs[1].second, (Fields{"a, \"b\"\nc", "7"}));
  EXPECT_EQ(recs[2], (std::pair<int64_t, Fields>{4, {"x", "8"}}));
  EXPECT_EQ(recs[3].first, 5);  // line numbers count the quoted newline
}

TEST(CsvSplitterTest, EmptyFieldsAndTrailingComma) {
  std::string error;
  const auto recs = SplitAll("a,,c,\n", &error);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].second, (Fields{"a", "", "c", ""}));
}

TEST(CsvSplitterTest, UnterminatedQuoteIsAnError) {
  std::string error;
  CsvSplitter splitter("a,b\n1,\"oops\n2,3\n");
  Fields fields;
  int64_t line = 0;
  ASSERT_TRUE(splitter.Next(&fields, &line));
  EXPECT_FALSE(splitter.Next(&fields, &line));
  EXPECT_EQ(splitter.error(), "unterminated quoted field");
  EXPECT_EQ(splitter.error_line(), 2);
}

TEST(CsvSplitterTest, TextAfterClosingQuoteIsAnError) {
  std::string error;
  SplitAll("\"a\"b,1\n", &error);
  EXPECT_EQ(error, "unexpected text after a closing quote");
}

TEST(CsvSplitterTest, EmptyInput) {
  std::string error;
  EXPECT_TRUE(SplitAll("", &error).empty());
  EXPECT_TRUE(SplitAll("\n \r\n\n", &error).empty());
  EXPECT_EQ(error, "");
}

}  // namespace
}  // namespace cacheopt
