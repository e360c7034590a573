// The real traces under CACHEOPT_SHARED_DIR, when present: row counts, the
// Azure file against its Vidur copy, and read speed.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>

#include "trace/trace.h"

namespace cacheopt {
namespace {

const std::string kData = std::string(CACHEOPT_SHARED_DIR) + "/data/";
const std::string kAzure = kData + "azure_llm_2023/AzureLLMInferenceTrace_conv.csv";
const std::string kVidur = kData + "vidur_processed_traces/";

// Reads `path`, or skips the test when the shared data is not there.
#define READ_OR_SKIP(var, path)                                        \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "no " << (path); \
  const Result<Trace> var = ReadTrace(path);                           \
  ASSERT_TRUE(var.ok()) << var.status().message()

struct Expected {
  const char* file;
  size_t rows;
  const char* format;
  bool timestamps;
  double prompt_mean;
  double output_mean;
};

class RealTraceTest : public ::testing::TestWithParam<Expected> {};

TEST_P(RealTraceTest, RowsFormatAndMeans) {
  const Expected& e = GetParam();
  const std::string path =
      std::string(e.file).find('/') == std::string::npos ? kVidur + e.file : kData + e.file;
  const auto start = std::chrono::steady_clock::now();
  READ_OR_SKIP(t, path);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("read_ms", std::to_string(ms));
  std::printf("  %s: %zu rows in %.1f ms\n", e.file, t->rows.size(), ms);
  EXPECT_LT(ms, 1000);  // well under 100 ms optimized; generous for sanitizer builds
  EXPECT_EQ(t->rows.size(), e.rows);
  EXPECT_EQ(t->format, e.format);
  EXPECT_EQ(t->has_timestamps, e.timestamps);
  double prompt = 0, output = 0;
  for (const TraceRow& r : t->rows) {
    prompt += r.prompt_tokens;
    output += r.output_tokens;
  }
  EXPECT_NEAR(prompt / t->rows.size(), e.prompt_mean, 0.5);
  EXPECT_NEAR(output / t->rows.size(), e.output_mean, 0.5);
}

// Means from EVALUATION.md's table, recomputed from the files.
INSTANTIATE_TEST_SUITE_P(
    Shared, RealTraceTest,
    ::testing::Values(Expected{"azure_llm_2023/AzureLLMInferenceTrace_conv.csv", 19366, "azure",
                               true, 1154.70, 211.13},
                      Expected{"splitwise_conv.csv", 19366, "vidur", true, 1154.70, 211.13},
                      Expected{"sharegpt_8k_filtered_stats_llama2_tokenizer.csv", 30731, "vidur",
                               false, 2340.03, 438.71},
                      Expected{"arxiv_summarization_stats_llama2_tokenizer_filtered_v2.csv", 28257,
                               "vidur", false, 2588.08, 291.43},
                      Expected{"bwb_stats_llama2_tokenizer_filtered_v2.csv", 33768, "vidur", false,
                               1067.18, 1612.83}));

TEST(RealTraceFilesTest, AzureMatchesSplitwiseConv) {
  READ_OR_SKIP(azure, kAzure);
  READ_OR_SKIP(vidur, kVidur + "splitwise_conv.csv");
  ASSERT_EQ(azure->rows.size(), vidur->rows.size());
  double worst = 0;
  for (size_t i = 0; i < azure->rows.size(); ++i) {
    const TraceRow& a = azure->rows[i];
    const TraceRow& v = vidur->rows[i];
    ASSERT_EQ(a.prompt_tokens, v.prompt_tokens) << "row " << i;
    ASSERT_EQ(a.output_tokens, v.output_tokens) << "row " << i;
    worst = std::max(worst, std::abs(a.arrival_s - v.arrival_s));
  }
  // Azure keeps 100 ns digits, the Vidur copy microseconds.
  EXPECT_LE(worst, 0.5e-6 + 1e-9);
  EXPECT_EQ(azure->rows.front().arrival_s, 0.0);
  EXPECT_NEAR(azure->rows.back().arrival_s, 3501.721937, 1e-6);
  EXPECT_EQ(azure->rows.back().line, 19367);
}

}  // namespace
}  // namespace cacheopt
