// `cacheopt generate` end to end: run.c's published stories260K output, and a
// clear error for a bad model path.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "support/run_command.h"

namespace {

const std::string kShared = CACHEOPT_SHARED_DIR;
const std::string kBin = kShared + "/models/stories260K/stories260K.bin";

// `run stories260K.bin -z tok512.bin -t 0.0 -n 200` (README: 464 bytes), and
// its trailing newline.
const std::string kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw "
    "a big, red ball. She wanted to play with it, but it was too high.\n"
    "Lily's mom said, \"Lily, let's go to the park.\" Lily was sad and didn't know what to do. She said, \"I want to "
    "play with your ball, but I can't find it.\"\n"
    "Lily was sad and didn't know what to do. She said, \"I'm sorry, Lily. I didn't know what to do.\"\n"
    "Lily didn't want to help her mom, so she\n";

struct CliRun {
  int code = -1;
  std::string out;
};

// `redirect` says where stderr goes ("2>/dev/null" or "2>&1").
CliRun Generate(const std::string& args, const std::string& redirect, const std::string& env = "") {
  const std::string cmd = env + " " + std::string(CACHEOPT_BINARY) + " generate " + args + " " + redirect;
  const auto [code, out] = cacheopt::testing::RunCommand(cmd);
  return {code, out};
}

TEST(GenerateTest, Stories260KGreedyPrintsThePublishedStory) {
  if (!std::filesystem::exists(kBin)) GTEST_SKIP() << "no " << kBin;
  CliRun r = Generate("--model " + kBin + " -t 0 -n 200", "2>/dev/null");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, kStory);
  EXPECT_EQ(r.out.size(), 465u);
}

// Without --model the shared stories260K is the default, said on stderr.
TEST(GenerateTest, DefaultModelIsTheSharedStories260K) {
  if (!std::filesystem::exists(kBin)) GTEST_SKIP() << "no " << kBin;
  CliRun r = Generate("--temperature 0 -n 200", "2>/dev/null", "CACHEOPT_SHARED=" + kShared);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, kStory);
  CliRun e = Generate("--prompt Zoo -t 0 -n 57", "2>&1 >/dev/null", "CACHEOPT_SHARED=" + kShared);
  EXPECT_EQ(e.code, 0);
  EXPECT_NE(e.out.find("stories260K.bin (default)"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("57 tokens"), std::string::npos) << e.out;
  CliRun z = Generate("--prompt Zoo -t 0 -n 57", "2>/dev/null", "CACHEOPT_SHARED=" + kShared);
  EXPECT_EQ(z.out,
            "Zoo was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red "
            "ball. She wanted to play with it, but she didn't want to play with\n");
}

TEST(GenerateTest, BadModelPathIsAClearError) {
  CliRun r = Generate("--model /no/such/model.bin -n 5", "2>&1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.out.find("error:"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/no/such/model.bin"), std::string::npos) << r.out;
}

TEST(GenerateTest, TooManyTokensNamesTheSizes) {
  if (!std::filesystem::exists(kBin)) GTEST_SKIP() << "no " << kBin;
  CliRun r = Generate("--model " + kBin + " -n 600", "2>&1");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("600"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("512"), std::string::npos) << r.out;
}

}  // namespace
