#include "model/gguf_file.h"

#include <gtest/gtest.h>

#include "model/gguf_builder.h"
#include "model/model_test_util.h"
#include "model/model_writer.h"
#include "model/random_model.h"

namespace cacheopt {
namespace {

using testing::FailsWith;

Result<GgufFile> ReadDirectory(const std::string& path) {
  auto in = FileReader::Open(path);
  if (!in.ok()) return in.status();
  return ReadGgufDirectory(*in);
}

TEST(GgufFileTest, ReadsStories260KDirectory) {
  CACHEOPT_REQUIRE_STORIES(dir);
  auto f = ReadDirectory(dir + "/stories260K.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->version, 3u);
  EXPECT_EQ(f->metadata.size(), 19u);
  EXPECT_EQ(f->tensors.size(), 48u);
  EXPECT_EQ(f->alignment, 32u);
  EXPECT_EQ(f->data_offset, 14176u);
  ASSERT_NE(f->Find("llama.context_length"), nullptr);
  EXPECT_EQ(f->Find("llama.context_length")->AsInt(), 2048);
  EXPECT_EQ(f->Find("tokenizer.ggml.tokens")->items.size(), 512u);
  EXPECT_EQ(f->Find("tokenizer.ggml.seperator_token_id")->u, 4294967295u);
  const GgufTensorInfo* q = f->FindTensor("blk.0.attn_k.weight");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->dims, (std::vector<uint64_t>{64, 32}));
  EXPECT_EQ(q->type, kGgmlF32);
}

TEST(GgufFileTest, ReadsEveryValueType) {
  const std::string dir = testing::ScratchDir("gguf_types");
  GgufBuilder b;
  auto scalar = [](GgufValueType t, uint64_t u, int64_t i, double f) {
    GgufValue v;
    v.type = t;
    v.u = u;
    v.i = i;
    v.f = f;
    return v;
  };
  using T = GgufValueType;
  b.Set("u8", scalar(T::kUint8, 200, 0, 0));
  b.Set("i8", scalar(T::kInt8, 0, -100, 0));
  b.Set("u16", scalar(T::kUint16, 60000, 0, 0));
  b.Set("i16", scalar(T::kInt16, 0, -30000, 0));
  b.Set("u32", GgufValue::U32(4000000000u));
  b.Set("i32", GgufValue::I32(-2000000000));
  b.Set("f32", GgufValue::F32(1.5f));
  b.Set("bool", GgufValue::Bool(true));
  b.Set("str", GgufValue::String("h\xC3\xA9llo"));
  b.Set("u64", GgufValue::U64(UINT64_MAX));
  b.Set("i64", scalar(T::kInt64, 0, INT64_MIN, 0));
  b.Set("f64", scalar(T::kFloat64, 0, 0, 0.1));
  b.Set("strs", GgufValue::Array(T::kString, {GgufValue::String("a"), GgufValue::String("")}));
  b.Set("nested", GgufValue::Array(T::kArray, {GgufValue::Array(T::kInt32, {GgufValue::I32(7)}),
                                               GgufValue::Array(T::kBool, {})}));
  b.Set("empty", GgufValue::Array(T::kFloat32, {}));
  ASSERT_TRUE(b.Write(dir + "/types.gguf").ok());
  auto f = ReadDirectory(dir + "/types.gguf");
  ASSERT_TRUE(f.ok()) << f.status().message();
  EXPECT_EQ(f->Find("u8")->AsInt(), 200);
  EXPECT_EQ(f->Find("i8")->AsInt(), -100);
  EXPECT_EQ(f->Find("u16")->AsInt(), 60000);
  EXPECT_EQ(f->Find("i16")->AsInt(), -30000);
  EXPECT_EQ(f->Find("u32")->AsInt(), 4000000000);
  EXPECT_EQ(f->Find("i32")->AsInt(), -2000000000);
  EXPECT_EQ(f->Find("f32")->AsFloat(), 1.5);
  EXPECT_EQ(f->Find("bool")->AsInt(), 1);
  EXPECT_EQ(f->Find("str")->str, "h\xC3\xA9llo");
  EXPECT_EQ(f->Find("u64")->u, UINT64_MAX);
  EXPECT_FALSE(f->Find("u64")->AsInt().has_value());
  EXPECT_EQ(f->Find("i64")->AsInt(), INT64_MIN);
  EXPECT_EQ(f->Find("f64")->AsFloat(), 0.1);
  EXPECT_FALSE(f->Find("str")->AsInt().has_value());
  EXPECT_EQ(f->Find("strs")->items.size(), 2u);
  EXPECT_EQ(f->Find("strs")->items[0].str, "a");
  ASSERT_EQ(f->Find("nested")->items.size(), 2u);
  EXPECT_EQ(f->Find("nested")->items[0].items[0].AsInt(), 7);
  EXPECT_TRUE(f->Find("empty")->items.empty());
  EXPECT_EQ(f->Find("missing"), nullptr);
  EXPECT_TRUE(f->tensors.empty());
}

class GgufCorruptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::ScratchDir("gguf_corrupt");
    auto m = MakeRandomModel("micro", 9);
    ASSERT_TRUE(m.ok());
    model_ = std::move(*m);
    const Status written = WriteGguf(model_, dir_ + "/good.gguf", false);
    ASSERT_TRUE(written.ok()) << written.message();
    bytes_ = testing::ReadBytes(dir_ + "/good.gguf");
    auto f = ReadDirectory(dir_ + "/good.gguf");
    ASSERT_TRUE(f.ok()) << f.status().message();
    file_ = std::move(*f);
    // The tensor infos start with the first tensor's length-prefixed name.
    const std::string first = file_.tensors[0].name;
    std::string prefixed(8, '\0');
    testing::PutAt<uint64_t>(&prefixed, 0, first.size());
    infos_start_ = bytes_.find(prefixed + first);
    ASSERT_NE(infos_start_, std::string::npos);
  }
  Result<GgufFile> Parse(const std::string& bytes) {
    testing::WriteBytes(dir_ + "/bad.gguf", bytes);
    return ReadDirectory(dir_ + "/bad.gguf");
  }
  // Offset of a string's first occurrence (after its length prefix).
  size_t Find(const std::string& s) const {
    const size_t at = bytes_.find(s);
    EXPECT_NE(at, std::string::npos) << s;
    return at;
  }

  std::string dir_, bytes_;
  Model model_;
  GgufFile file_;
  size_t infos_start_ = 0;
};

TEST_F(GgufCorruptTest, TruncationIsNamedBySection) {
  const size_t n = bytes_.size();
  for (size_t cut = 0; cut < n; cut += (cut < file_.data_offset ? 13 : 997)) {
    const std::string section = cut < 24                   ? "truncated in header"
                                : cut < infos_start_       ? "truncated in metadata"
                                : cut < file_.data_offset  ? "truncated in tensor info"
                                                           : "truncated in tensor data";
    // Cuts in the padding before the data end the directory, but the data
    // itself is then missing.
    const bool in_padding = cut >= infos_start_ && cut < file_.data_offset && cut + 32 > file_.data_offset;
    auto r = Parse(bytes_.substr(0, cut));
    EXPECT_TRUE(FailsWith(r, in_padding ? "truncated in" : section)) << "cut at " << cut;
  }
  EXPECT_TRUE(FailsWith(Parse(bytes_.substr(0, n - 1)), "truncated in tensor data"));
  EXPECT_TRUE(Parse(bytes_).ok());
}

TEST_F(GgufCorruptTest, BadMagicAndVersion) {
  std::string b = bytes_;
  b[0] = 'X';
  EXPECT_TRUE(FailsWith(Parse(b), "not a GGUF file"));
  for (uint32_t v : {0u, 1u, 4u, 99u, 0x03000000u}) {
    b = bytes_;
    testing::PutAt<uint32_t>(&b, 4, v);
    EXPECT_TRUE(FailsWith(Parse(b), v == 1 ? "version 1 is not supported" : "unsupported GGUF version")) << v;
  }
  b = bytes_;
  testing::PutAt<uint32_t>(&b, 4, 2);  // v2 has the same layout
  EXPECT_TRUE(Parse(b).ok());
}

TEST_F(GgufCorruptTest, AbsurdCountsAndLengths) {
  std::string b = bytes_;
  testing::PutAt<uint64_t>(&b, 8, uint64_t{1} << 60);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in tensor infos: 1152921504606846976 tensor infos need at least"));
  b = bytes_;
  testing::PutAt<uint64_t>(&b, 16, UINT64_MAX);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in metadata: 18446744073709551615 key/values need at least 2^64"));
  // The first key's length.
  b = bytes_;
  testing::PutAt<uint64_t>(&b, 24, uint64_t{1} << 62);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in metadata key 0"));
  // The token array's count: after the key, its type (9) and element type (8).
  const size_t tokens = Find("tokenizer.ggml.tokens") + std::string("tokenizer.ggml.tokens").size();
  b = bytes_;
  testing::PutAt<uint64_t>(&b, tokens + 8, uint64_t{1} << 61);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in metadata value 'tokenizer.ggml.tokens': 2305843009213693952 array items"));
  // A string inside it.
  b = bytes_;
  testing::PutAt<uint64_t>(&b, tokens + 16, UINT64_MAX - 3);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in metadata value 'tokenizer.ggml.tokens': need more than 2^64"));
  // Unknown value type and element type.
  b = bytes_;
  testing::PutAt<uint32_t>(&b, tokens, 13);
  EXPECT_TRUE(FailsWith(Parse(b), "unknown value type 13"));
  b = bytes_;
  testing::PutAt<uint32_t>(&b, tokens + 4, 77);
  EXPECT_TRUE(FailsWith(Parse(b), "array of unknown type 77"));
}

TEST_F(GgufCorruptTest, BadTensorInfos) {
  const std::string name = "blk.1.attn_q.weight";
  const size_t info = Find(name) + name.size();  // n_dims, dims..., type, offset
  std::string b = bytes_;
  testing::PutAt<uint32_t>(&b, info, 9);
  EXPECT_TRUE(FailsWith(Parse(b), "'blk.1.attn_q.weight' has 9 dimensions"));
  b = bytes_;
  testing::PutAt<uint64_t>(&b, info + 4, uint64_t{1} << 40);
  testing::PutAt<uint64_t>(&b, info + 12, uint64_t{1} << 40);
  EXPECT_TRUE(FailsWith(Parse(b), "'blk.1.attn_q.weight' has an absurd shape"));
  b = bytes_;
  testing::PutAt<uint64_t>(&b, info + 4, uint64_t{1} << 30);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in tensor data: tensor 'blk.1.attn_q.weight'"));
  b = bytes_;
  testing::PutAt<uint64_t>(&b, info + 24, 3);
  EXPECT_TRUE(FailsWith(Parse(b), "offset 3 is not a multiple of the alignment 32"));
  b = bytes_;
  testing::PutAt<uint64_t>(&b, info + 24, uint64_t{1} << 62);
  EXPECT_TRUE(FailsWith(Parse(b), "truncated in tensor data"));
  // Renaming a tensor to an existing name.
  b = bytes_;
  b.replace(Find("blk.1.attn_k.weight"), name.size(), name);
  EXPECT_TRUE(FailsWith(Parse(b), "duplicate tensor 'blk.1.attn_q.weight'"));
}

TEST_F(GgufCorruptTest, BadMetadata) {
  GgufBuilder b = GgufBuilderForModel(model_, false);
  b.Set("general.alignment", GgufValue::U32(48));
  ASSERT_TRUE(b.Write(dir_ + "/align.gguf").ok());
  EXPECT_TRUE(FailsWith(ReadDirectory(dir_ + "/align.gguf"), "general.alignment must be a power of two"));

  std::string bytes = bytes_;
  const std::string key = "llama.block_count";
  bytes.replace(Find(key), key.size(), "llama.embedding_length").resize(bytes_.size());
  // Rewrite a key in place with an equal-length duplicate instead.
  bytes = bytes_;
  const std::string a = "tokenizer.ggml.bos_token_id", dup = "tokenizer.ggml.eos_token_id";
  bytes.replace(Find(a), a.size(), dup);
  EXPECT_TRUE(FailsWith(Parse(bytes), "duplicate metadata key 'tokenizer.ggml.eos_token_id'"));

  GgufBuilder deep;
  GgufValue v = GgufValue::Array(GgufValueType::kInt32, {});
  for (int i = 0; i < 6; ++i) v = GgufValue::Array(GgufValueType::kArray, {v});
  deep.Set("deep", v);
  ASSERT_TRUE(deep.Write(dir_ + "/deep.gguf").ok());
  EXPECT_TRUE(FailsWith(ReadDirectory(dir_ + "/deep.gguf"), "nests arrays too deeply"));

  bytes = bytes_;
  // A bool must be 0 or 1: make general.architecture's string a bool "2".
  const size_t arch = Find("general.architecture") + std::string("general.architecture").size();
  testing::PutAt<uint32_t>(&bytes, arch, 7);
  testing::PutAt<uint8_t>(&bytes, arch + 4, 2);
  EXPECT_TRUE(FailsWith(Parse(bytes), "is a bool with value 2"));
}

}  // namespace
}  // namespace cacheopt
