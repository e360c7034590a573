#include "loadgen/server_info.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt::bench {
namespace {

using ::testing::HasSubstr;

TEST(ServerInfoTest, ParsesOurAndVllmModelLists) {
  auto ours = ParseModelList(
      R"({"object":"list","data":[{"id":"stories260K","object":"model","created":1,"owned_by":"cacheopt","root":"stories260K","max_model_len":512}]})");
  ASSERT_TRUE(ours.ok()) << ours.status().message();
  ASSERT_EQ(ours->size(), 1u);
  EXPECT_EQ((*ours)[0].id, "stories260K");
  EXPECT_EQ((*ours)[0].max_model_len, 512);
  // OpenAI's list has no max_model_len.
  auto openai = ParseModelList(R"({"object":"list","data":[{"id":"a"},{"id":"b","max_model_len":null}]})");
  ASSERT_TRUE(openai.ok());
  ASSERT_EQ(openai->size(), 2u);
  EXPECT_EQ((*openai)[1].id, "b");
  EXPECT_EQ((*openai)[1].max_model_len, 0);
}

TEST(ServerInfoTest, RejectsWhatIsNotAModelList) {
  EXPECT_THAT(ParseModelList("<html>").status().message(), HasSubstr("not JSON"));
  EXPECT_THAT(ParseModelList(R"({"models":[]})").status().message(), HasSubstr("no 'data' array"));
  EXPECT_THAT(ParseModelList(R"({"data":[{"name":"x"}]})").status().message(), HasSubstr("without a string 'id'"));
}

}  // namespace
}  // namespace cacheopt::bench
