#include "sim/steps_log.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace cacheopt {
namespace {

// A step built by hand: a 12-token prompt chunk beside two decodes, with a
// swap-out and a swap-in, and every part of the split set.
StepRecord HandBuilt() {
  StepRecord r;
  r.step = 7;
  r.start_s = 1.5;
  r.ids = {3, 4, 9};
  r.seqs = {{12, 0}, {1, 40}, {1, 7}};
  r.prefill = {true, false, false};
  r.swap_out_blocks = 2;
  r.swap_in_blocks = 1;
  r.swap_out_ahead_blocks = 0;
  r.wall_s = 0.004;
  r.copy_s = 0.0001;
  r.prepare_s = 0.0002;
  r.forward_s = 0.003;
  r.sample_s = 0.0004;
  r.schedule_s = 0.0003;
  r.loop_s = 0.0006;
  r.predicted_s = 0.0035;
  return r;
}

TEST(RealStepsLogTest, LineCarriesEveryFieldOfTheStep) {
  std::ostringstream os;
  WriteRealStepLine(os, HandBuilt());
  EXPECT_EQ(os.str(),
            "{\"step\":7,\"t\":1.500000000,\"dur\":0.004000000,\"seqs\":["
            "{\"id\":3,\"tokens\":12,\"ctx\":0,\"phase\":\"prefill\"},"
            "{\"id\":4,\"tokens\":1,\"ctx\":40,\"phase\":\"decode\"},"
            "{\"id\":9,\"tokens\":1,\"ctx\":7,\"phase\":\"decode\"}],"
            "\"swap_out\":2,\"swap_in\":1,\"swap_out_ahead\":0,"
            "\"copy\":0.000100000,\"prepare\":0.000200000,\"forward\":0.003000000,\"sample\":0.000400000,"
            "\"schedule\":0.000300000,\"loop\":0.000600000,\"pred\":0.003500000}\n");
}

TEST(RealStepsLogTest, ParseGivesBackWhatWasWritten) {
  std::ostringstream os;
  const StepRecord r = HandBuilt();
  WriteRealStepLine(os, r);
  auto back = ParseRealStepLine(os.str(), "x:1");
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->step, r.step);
  EXPECT_EQ(back->ids, r.ids);
  ASSERT_EQ(back->seqs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->seqs[i].num_tokens, r.seqs[i].num_tokens);
    EXPECT_EQ(back->seqs[i].context_before, r.seqs[i].context_before);
  }
  EXPECT_EQ(back->prefill, r.prefill);
  EXPECT_EQ(back->swap_out_blocks, 2);
  EXPECT_EQ(back->swap_in_blocks, 1);
  EXPECT_DOUBLE_EQ(back->forward_s, r.forward_s);
  EXPECT_DOUBLE_EQ(back->loop_s, r.loop_s);
  EXPECT_DOUBLE_EQ(back->predicted_s, r.predicted_s);
  EXPECT_EQ(back->prefill_tokens(), 12);
  EXPECT_EQ(back->decode_tokens(), 2);
}

TEST(RealStepsLogTest, MissingOrBadFieldsAreNamed) {
  auto missing = ParseRealStepLine(R"({"step":1,"t":0,"dur":0.1,"seqs":[{"id":1,"tokens":1,"ctx":3,"phase":"decode"}],
    "swap_out":0,"swap_in":0,"swap_out_ahead":0,"copy":0,"prepare":0,"sample":0,"schedule":0,"loop":0,"pred":0})",
                                   "log.jsonl:4");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "log.jsonl:4: field 'forward' is missing");
  auto bad_seq = ParseRealStepLine(R"({"step":1,"t":0,"dur":0.1,"seqs":[{"id":1,"tokens":1,"phase":"decode"}],
    "swap_out":0,"swap_in":0,"swap_out_ahead":0,"copy":0,"prepare":0,"forward":0,"sample":0,"schedule":0,"loop":0,
    "pred":0})",
                                   "log.jsonl:5");
  ASSERT_FALSE(bad_seq.ok());
  EXPECT_EQ(bad_seq.status().message(), "log.jsonl:5: field 'seqs[0].ctx' is missing");
  auto negative = ParseRealStepLine(R"({"step":1,"t":0,"dur":-1})", "f:1");
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().message(), "f:1: field 'dur' must be >= 0");
  EXPECT_FALSE(ParseRealStepLine("not json", "f:2").ok());
}

TEST(RealStepsLogTest, ReadingAFileNamesItsLine) {
  const auto dir = std::filesystem::temp_directory_path() / "cacheopt_steps_log_test";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "steps.jsonl").string();
  {
    std::ofstream f(path);
    WriteRealStepLine(f, HandBuilt());
    f << "\n{\"step\":8}\n";
  }
  auto r = ReadRealStepsLog(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), path + ":3: field 't' is missing");
  EXPECT_FALSE(ReadRealStepsLog((dir / "absent.jsonl").string()).ok());
}

}  // namespace
}  // namespace cacheopt
