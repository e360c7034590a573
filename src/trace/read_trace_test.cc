// ReadTrace on small hand-written files: every format and every error shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "trace/trace.h"

namespace cacheopt {
namespace {

using ::testing::HasSubstr;

// Writes `text` to a file named `name` in a fresh directory; removed on exit.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& text) {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("cacheopt_trace_" + std::string(info->test_suite_name()) + "_" + info->name());
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / name).string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

Result<Trace> Read(const std::string& name, const std::string& text) {
  TempFile file(name, text);
  return ReadTrace(file.path());
}

// Expects an InvalidArgument whose message is "<path>:<line>: <rest>".
void ExpectRowError(const std::string& name, const std::string& text, int line,
                    const std::string& rest) {
  TempFile file(name, text);
  const Result<Trace> trace = ReadTrace(file.path());
  ASSERT_FALSE(trace.ok()) << name;
  EXPECT_EQ(trace.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(trace.status().message(), file.path() + ":" + std::to_string(line) + ": " + rest);
}

TEST(ReadTraceTest, AzureCsv) {
  const Result<Trace> t = Read("a.csv",
                               "TIMESTAMP,ContextTokens,GeneratedTokens\r\n"
                               "2023-11-16 18:15:46.6805900,374,44\r\n"
                               "2023-11-16 18:15:50.9951690,396,109\r\n"
                               "2023-11-16 18:15:50.9951690,7,1");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "azure");
  EXPECT_TRUE(t->has_timestamps);
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(t->rows[1].arrival_s, 4.314579);
  EXPECT_EQ(t->rows[2].arrival_s, t->rows[1].arrival_s);  // ties are fine
  EXPECT_EQ(t->rows[1].prompt_tokens, 396);
  EXPECT_EQ(t->rows[1].output_tokens, 109);
  EXPECT_EQ(t->rows[1].max_tokens, -1);
  EXPECT_EQ(t->rows[1].slo_class, "");
  EXPECT_EQ(t->rows[2].line, 4);
}

TEST(ReadTraceTest, VidurTimestamped) {
  const Result<Trace> t = Read("v.csv",
                               "arrived_at,num_prefill_tokens,num_decode_tokens\n"
                               "0.0,374,44\n4.314579,396,109\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "vidur");
  EXPECT_TRUE(t->has_timestamps);
  EXPECT_EQ(t->rows[1].arrival_s, 4.314579);
}

TEST(ReadTraceTest, VidurLengthOnlyIgnoresDerivedColumns) {
  const Result<Trace> t = Read("s.CSV",
                               "num_prefill_tokens,num_decode_tokens,num_total_tokens,pd_ratio\n"
                               "74,918,992,0.0806100217864923\n290,905,1195,0.3204419889502762\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "vidur");
  EXPECT_FALSE(t->has_timestamps);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_LT(t->rows[0].arrival_s, 0);
  EXPECT_EQ(t->rows[1].prompt_tokens, 290);
  EXPECT_EQ(t->rows[1].output_tokens, 905);
}

TEST(ReadTraceTest, OwnCsvColumnsInAnyOrder) {
  const Result<Trace> t = Read("o.csv",
                               "slo_class,prompt,output_tokens,prompt_tokens,max_tokens,id\n"
                               "tight,\"Hello, \"\"world\"\"\",20,10,64,a\n"
                               ",plain,5,6,,b\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "csv");
  EXPECT_FALSE(t->has_timestamps);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].prompt_tokens, 10);
  EXPECT_EQ(t->rows[0].output_tokens, 20);
  EXPECT_EQ(t->rows[0].max_tokens, 64);
  EXPECT_EQ(t->rows[0].slo_class, "tight");
  EXPECT_EQ(t->rows[1].max_tokens, -1);
  EXPECT_EQ(t->rows[1].slo_class, "");
}

TEST(ReadTraceTest, JsonLines) {
  const Result<Trace> t =
      Read("j.jsonl",
           "{\"prompt_tokens\": 10, \"output_tokens\": 3, \"arrival_s\": 5.5, \"user\": \"x\"}\n"
           "\n"
           "{\"prompt_tokens\": 7, \"output_tokens\": 2, \"arrival_s\": 6, \"max_tokens\": 100,"
           " \"slo_class\": \"loose\", \"prompt\": \"Why?\"}\r\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "jsonl");
  EXPECT_TRUE(t->has_timestamps);
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_EQ(t->rows[0].arrival_s, 0.0);  // rebased to the first row
  EXPECT_EQ(t->rows[1].arrival_s, 0.5);
  EXPECT_EQ(t->rows[1].max_tokens, 100);
  EXPECT_EQ(t->rows[1].slo_class, "loose");
  EXPECT_EQ(t->rows[1].line, 3);
}

TEST(ReadTraceTest, JsonLinesLengthOnlyAndOtherExtensions) {
  for (const char* name : {"x.json-lines", "x.ndjson", "x.JSONL"}) {
    const Result<Trace> t = Read(name, "{\"prompt_tokens\":1,\"output_tokens\":1}");
    ASSERT_TRUE(t.ok()) << name << ": " << t.status().message();
    EXPECT_FALSE(t->has_timestamps);
    EXPECT_EQ(t->rows.size(), 1u);
  }
}

TEST(ReadTraceTest, CsvFieldErrors) {
  const std::string h = "arrived_at,num_prefill_tokens,num_decode_tokens\n";
  ExpectRowError("e.csv", h + "0,12x,3\n", 2, "field 'num_prefill_tokens': not an integer: '12x'");
  ExpectRowError("e.csv", h + "0,1.5,3\n", 2, "field 'num_prefill_tokens': not an integer: '1.5'");
  ExpectRowError("e.csv", h + "0,10,3\n1,-4,3\n", 3,
                 "field 'num_prefill_tokens': must be >= 1, got -4");
  ExpectRowError("e.csv", h + "0,10,0\n", 2, "field 'num_decode_tokens': must be >= 1, got 0");
  ExpectRowError("e.csv", h + "0,10,\n", 2, "field 'num_decode_tokens': empty");
  ExpectRowError("e.csv", h + "0,99999999999,3\n", 2,
                 "field 'num_prefill_tokens': out of range: 99999999999");
  ExpectRowError("e.csv", h + "0,10\n", 2,
                 "field 'num_decode_tokens': missing column (row has 2 of 3)");
  ExpectRowError("e.csv", h + "0,10,3,4\n", 2, "row has 4 columns, header has 3");
  ExpectRowError("e.csv", h + "zero,10,3\n", 2, "field 'arrived_at': not a number: 'zero'");
  ExpectRowError("e.csv", h + "-1,10,3\n", 2, "field 'arrived_at': must be >= 0, got -1");
  ExpectRowError("e.csv", h + "nan,10,3\n", 2, "field 'arrived_at': not a finite number");
  ExpectRowError("e.csv", h + "0,1,1\n5,1,1\n4.5,1,1\n", 4,
                 "field 'arrived_at': goes backwards by 0.5 s from the previous row; "
                 "rows must be sorted by arrival");
  ExpectRowError("e.csv", h + "0,1,1\n,1,1\n", 3,
                 "field 'arrived_at': missing, but the first row has one (give it on every row "
                 "or on none)");
  ExpectRowError("e.csv", "prompt_tokens,output_tokens,slo_class\n5,5,urgent\n", 2,
                 "field 'slo_class': must be tight, medium or loose, got 'urgent'");
  ExpectRowError("e.csv", "prompt_tokens,output_tokens,arrival_s\n5,5,\n5,5,1\n", 3,
                 "field 'arrival_s': given, but the first row has none (give it on every row "
                 "or on none)");
  ExpectRowError("e.csv", "prompt_tokens,output_tokens\n5,\"6\n", 2, "unterminated quoted field");
}

TEST(ReadTraceTest, AzureTimestampErrors) {
  const std::string h = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  ExpectRowError("a.csv", h + "2023-11-16 18:15:46.68,1,1\n2023-11-16 25:00:00,1,1\n", 3,
                 "field 'TIMESTAMP': not a timestamp YYYY-MM-DD HH:MM:SS.fffffff: "
                 "'2023-11-16 25:00:00'");
  ExpectRowError("a.csv", h + "2023-11-16 18:15:46.5,1,1\n2023-11-16 18:15:46.25,1,1\n", 3,
                 "field 'TIMESTAMP': goes backwards by 0.25 s from the previous row; "
                 "rows must be sorted by arrival");
}

// Found by fuzz/trace_fuzz.cc (its input as found): year 2323 overflowed
// int64 nanoseconds, undefined behaviour. Now an error, as is a difference
// from the first row that overflows (rows over 292 years apart).
TEST(ReadTraceTest, AzureTimestampsBeyondInt64NanosecondsAreErrors) {
  const std::string crash =
      "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00.1234567,120,30\n"
      "2323-11-16 18:00:01.5,96,12\n2023-11-16T18:00:01.500000001,880,20\n2024-02-29 00:00:00,1020,1\n";
  ExpectRowError("a.csv", crash, 3,
                 "field 'TIMESTAMP': not a timestamp YYYY-MM-DD HH:MM:SS.fffffff: "
                 "'2323-11-16 18:00:01.5'");
  const std::string h = "TIMESTAMP,ContextTokens,GeneratedTokens\n";
  ExpectRowError("a.csv", h + "1700-01-01 00:00:00,1,1\n2200-01-01 00:00:00,1,1\n", 3,
                 "field 'TIMESTAMP': more than 292 years from the first row's: '2200-01-01 00:00:00'");
}

// Found with fuzz/trace_fuzz.cc: quoting a deeply nested value in a message
// recursed once per level and overflowed the stack (1M levels is far past
// any stack; ~10^4 were enough under ASan).
TEST(ReadTraceTest, DeeplyNestedJsonIsAnErrorNotAStackOverflow) {
  const std::string deep = std::string(1 << 20, '[') + std::string(1 << 20, ']');
  ExpectRowError("e.jsonl", deep + "\n", 1, "expected a JSON object, got a value nested over 32 levels deep");
  ExpectRowError("e.jsonl", "{\"output_tokens\": 1, \"prompt_tokens\": " + deep + "}\n", 1,
                 "field 'prompt_tokens': not an integer: a value nested over 32 levels deep");
  // Shallow values are still quoted as they are.
  ExpectRowError("e.jsonl", "[[[1]]]\n", 1, "expected a JSON object, got '[[[1]]]'");
}

TEST(ReadTraceTest, JsonErrors) {
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1}\n{\"prompt_tokens\":1\n", 2,
                 "invalid JSON: '{\"prompt_tokens\":1'");
  ExpectRowError("e.jsonl", "[1,2]\n", 1, "expected a JSON object, got '[1,2]'");
  ExpectRowError("e.jsonl", "{\"output_tokens\":1}\n", 1, "field 'prompt_tokens': missing");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1}\n", 1, "field 'output_tokens': missing");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1.5,\"output_tokens\":1}\n", 1,
                 "field 'prompt_tokens': not an integer: '1.5'");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":\"7\",\"output_tokens\":1}\n", 1,
                 "field 'prompt_tokens': not an integer: '\"7\"'");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":-7,\"output_tokens\":1}\n", 1,
                 "field 'prompt_tokens': must be >= 1, got -7");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":3000000000,\"output_tokens\":1}\n", 1,
                 "field 'prompt_tokens': out of range: 3000000000");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1,\"max_tokens\":0}\n", 1,
                 "field 'max_tokens': must be >= 1, got 0");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1,\"arrival_s\":\"0\"}\n", 1,
                 "field 'arrival_s': not a number: '\"0\"'");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1,\"slo_class\":2}\n", 1,
                 "field 'slo_class': not a string: '2'");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1,\"slo_class\":\"x\"}\n", 1,
                 "field 'slo_class': must be tight, medium or loose, got 'x'");
  ExpectRowError("e.jsonl", "{\"prompt_tokens\":1,\"output_tokens\":1,\"prompt\":[1]}\n", 1,
                 "field 'prompt': not a string");
  ExpectRowError("e.jsonl",
                 "{\"prompt_tokens\":1,\"output_tokens\":1,\"arrival_s\":2}\n"
                 "{\"prompt_tokens\":1,\"output_tokens\":1,\"arrival_s\":1}\n",
                 2,
                 "field 'arrival_s': goes backwards by 1 s from the previous row; "
                 "rows must be sorted by arrival");
}

// Mooncake's FAST'25 release: timestamp in ms, 512-token prefix-block ids.
TEST(ReadTraceTest, MooncakeJsonLines) {
  std::string big = "[";
  for (int i = 0; i < 3; ++i) big += (i ? "," : "") + std::to_string(10 + i);
  const Result<Trace> t =
      Read("m.jsonl",
           "{\"timestamp\": 1000, \"input_length\": 600, \"output_length\": 6, \"hash_ids\": [0, 1]}\n"
           "{\"timestamp\": 1500, \"input_length\": 1025, \"output_length\": 1, \"hash_ids\": " + big + "]}\n"
           "{\"timestamp\": 1500, \"input_length\": 512, \"output_length\": 2, \"hash_ids\": [0]}\n");
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ(t->format, "mooncake");
  EXPECT_TRUE(t->has_timestamps);
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(t->rows[0].arrival_s, 0.0);
  EXPECT_EQ(t->rows[1].arrival_s, 0.5);  // milliseconds
  EXPECT_EQ(t->rows[1].prompt_tokens, 1025);
  EXPECT_EQ(t->rows[1].output_tokens, 1);
  EXPECT_EQ(t->rows[1].prefix_block_ids, (std::vector<int64_t>{10, 11, 12}));
  EXPECT_EQ(t->rows[2].prefix_block_ids, (std::vector<int64_t>{0}));
}

TEST(ReadTraceTest, MooncakeErrors) {
  ExpectRowError("m.jsonl", "{\"timestamp\": 0, \"input_length\": 600, \"output_length\": 1, \"hash_ids\": [0]}\n", 1,
                 "field 'hash_ids': has 1 ids, but input_length 600 needs 2 (one per 512 tokens)");
  ExpectRowError("m.jsonl", "{\"timestamp\": 0, \"input_length\": 6, \"output_length\": 1, \"hash_ids\": [1.5]}\n", 1,
                 "field 'hash_ids': not an integer id: '1.5'");
  ExpectRowError("m.jsonl", "{\"timestamp\": 0, \"input_length\": 6, \"output_length\": 1, \"hash_ids\": 3}\n", 1,
                 "field 'hash_ids': not an array: '3'");
  ExpectRowError("m.jsonl", "{\"timestamp\": \"0\", \"input_length\": 6, \"output_length\": 1}\n", 1,
                 "field 'timestamp': not a number (milliseconds): '\"0\"'");
  ExpectRowError("m.jsonl", "{\"timestamp\": 0, \"input_length\": 6}\n", 1, "field 'output_length': missing");
  ExpectRowError("m.jsonl",
                 "{\"timestamp\": 0, \"input_length\": 6, \"output_length\": 1}\n"
                 "{\"prompt_tokens\": 6, \"output_tokens\": 1}\n",
                 2, "expected Mooncake keys (input_length, output_length) as in the first row");
}

TEST(ReadTraceTest, UnknownHeaderListsSupportedOnes) {
  TempFile file("u.csv", "time,in,out\n1,2,3\n");
  const Result<Trace> t = ReadTrace(file.path());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr(file.path() + ":1: unrecognized CSV header "
                                                            "'time,in,out'"));
  EXPECT_THAT(t.status().message(), HasSubstr("TIMESTAMP,ContextTokens,GeneratedTokens"));
  EXPECT_THAT(t.status().message(), HasSubstr("num_prefill_tokens,num_decode_tokens"));
  EXPECT_THAT(t.status().message(), HasSubstr("prompt_tokens,output_tokens"));
}

TEST(ReadTraceTest, DuplicateColumn) {
  ExpectRowError("d.csv", "prompt_tokens,output_tokens,prompt_tokens\n1,1,1\n", 1,
                 "duplicate column 'prompt_tokens' in header");
}

TEST(ReadTraceTest, EmptyFilesAndNoRows) {
  for (const char* name : {"e.csv", "e.jsonl"}) {
    TempFile file(name, "\n\n");
    const Result<Trace> t = ReadTrace(file.path());
    ASSERT_FALSE(t.ok());
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(t.status().message(), HasSubstr(file.path() + ": empty file"));
  }
  TempFile header_only("h.csv", "num_prefill_tokens,num_decode_tokens\n");
  const Result<Trace> t = ReadTrace(header_only.path());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().message(),
            header_only.path() + ": no rows (a vidur trace needs at least one request)");
}

TEST(ReadTraceTest, MissingFileIsNotFound) {
  const std::string path = ::testing::TempDir() + "/cacheopt_no_such_trace.csv";
  const Result<Trace> t = ReadTrace(path);
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(t.status().message(), HasSubstr(path));
}

TEST(ReadTraceTest, UnknownExtension) {
  TempFile file("t.txt", "prompt_tokens,output_tokens\n1,1\n");
  const Result<Trace> t = ReadTrace(file.path());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(t.status().message(), HasSubstr("unknown trace extension '.txt'"));
  EXPECT_THAT(t.status().message(), HasSubstr(".csv, .jsonl"));
}

TEST(ReadTraceTest, DirectoryIsRejected) {
  const Result<Trace> t = ReadTrace(::testing::TempDir());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cacheopt
