#include "model/tokenizer_file.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "model/model_test_util.h"
#include "model/random_vocab.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

class TokenizerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDir("tokenizer_file");
    auto v = MakeRandomVocabulary(kRandomVocabFirstMerge + 10);
    ASSERT_TRUE(v.ok());
    vocab_ = *v;
    good_ = dir_ + "/tok.bin";
    ASSERT_TRUE(WriteTokenizerFile(vocab_, good_).ok());
    bytes_ = testing::ReadBytes(good_);
  }
  int32_t n() const { return static_cast<int32_t>(vocab_.pieces.size()); }
  // Writes `bytes` and reads it back as a vocabulary of n() tokens.
  Result<Vocabulary> ReadModified(const std::string& bytes, int32_t vocab_size = 0) {
    const std::string path = dir_ + "/bad.bin";
    testing::WriteBytes(path, bytes);
    return ReadTokenizerFile(path, vocab_size ? vocab_size : n());
  }
  // Offset of token i's score.
  size_t TokenOffset(int32_t i) const {
    size_t off = 4;
    for (int32_t k = 0; k < i; ++k) off += 8 + vocab_.pieces[k].size();
    return off;
  }

  std::string dir_, good_, bytes_;
  Vocabulary vocab_;
};

TEST_F(TokenizerFileTest, RoundTrips) {
  auto v = ReadTokenizerFile(good_, n());
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->pieces, vocab_.pieces);
  EXPECT_EQ(v->scores, vocab_.scores);
  EXPECT_EQ(v->max_token_length, LongestPiece(vocab_));
}

TEST_F(TokenizerFileTest, ReadsTok512) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto v = ReadTokenizerFile(dir + "/tok512.bin", 512);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->max_token_length, 7);
  EXPECT_EQ(LongestPiece(*v), 7);
  EXPECT_EQ(v->pieces[0], "<unk>");
  EXPECT_EQ(v->pieces[1], "\n<s>\n");
  EXPECT_EQ(v->pieces[2], "\n</s>\n");
  EXPECT_EQ(v->pieces[3], "<0x00>");
  EXPECT_EQ(v->pieces[258], "<0xFF>");
  EXPECT_EQ(v->scores[300], -41.0f);  // merges score -(id - 259)
}

TEST_F(TokenizerFileTest, TruncationAnywhereIsAnError) {
  // Every section boundary and a point inside each field of the first,
  // a middle and the last token.
  std::vector<size_t> cuts = {0, 2, 4};
  for (int32_t i : {0, n() / 2, n() - 1}) {
    const size_t t = TokenOffset(i);
    for (size_t d : {size_t{0}, size_t{2}, size_t{4}, size_t{6}, size_t{8}, size_t{9}}) cuts.push_back(t + d);
  }
  for (int32_t i = 0; i < n(); i += 37) cuts.push_back(TokenOffset(i));
  for (size_t cut : cuts) {
    if (cut >= bytes_.size()) continue;
    auto v = ReadModified(bytes_.substr(0, cut));
    EXPECT_TRUE(FailsWith(v, "truncated in")) << "cut at " << cut;
  }
  EXPECT_TRUE(FailsWith(ReadModified(bytes_.substr(0, 2)), "truncated in max_token_length"));
  EXPECT_TRUE(FailsWith(ReadModified(bytes_.substr(0, TokenOffset(5) + 6)), "truncated in token 5 of"));
}

TEST_F(TokenizerFileTest, CorruptFieldsAreErrors) {
  std::string b = bytes_;
  testing::PutAt<int32_t>(&b, 0, -3);
  EXPECT_TRUE(FailsWith(ReadModified(b), "max_token_length -3"));
  b = bytes_;
  testing::PutAt<int32_t>(&b, 0, 1 << 30);
  EXPECT_TRUE(FailsWith(ReadModified(b), "max_token_length"));

  b = bytes_;
  testing::PutAt<int32_t>(&b, TokenOffset(7) + 4, -1);
  EXPECT_TRUE(FailsWith(ReadModified(b), "token 7 has length -1"));
  b = bytes_;
  testing::PutAt<int32_t>(&b, TokenOffset(7) + 4, 0x7fffffff);
  EXPECT_TRUE(FailsWith(ReadModified(b), "token 7 has length 2147483647"));

  b = bytes_;
  testing::PutAt<float>(&b, TokenOffset(9), std::numeric_limits<float>::quiet_NaN());
  EXPECT_TRUE(FailsWith(ReadModified(b), "token 9 has a non-finite score"));
  b = bytes_;
  testing::PutAt<float>(&b, TokenOffset(9), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(FailsWith(ReadModified(b), "non-finite"));
}

TEST_F(TokenizerFileTest, WrongTokenCountIsAVocabSizeMismatch) {
  EXPECT_TRUE(FailsWith(ReadTokenizerFile(good_, n() + 1), "vocab size mismatch"));
  EXPECT_TRUE(FailsWith(ReadTokenizerFile(good_, n() - 1), "vocab size mismatch"));
  EXPECT_TRUE(FailsWith(ReadModified(bytes_ + "x"), "vocab size mismatch"));
  EXPECT_TRUE(FailsWith(ReadTokenizerFile(good_, 0), "vocab_size 0"));
}

TEST_F(TokenizerFileTest, MissingFileIsNotFound) {
  auto v = ReadTokenizerFile(dir_ + "/none.bin", 10);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kNotFound);
  EXPECT_NE(v.status().message().find("none.bin"), std::string::npos);
}

}  // namespace
}  // namespace cacheopt
