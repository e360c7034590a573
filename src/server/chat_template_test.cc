#include "server/chat_template.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cacheopt {
namespace {

using ::testing::HasSubstr;

std::vector<ChatMessage> Msgs(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<ChatMessage> v;
  for (auto [role, content] : list) v.push_back({role, content, {}, {}});
  return v;
}

TEST(ChatTemplateTest, Llama2SingleUserTurn) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kLlama2, Msgs({{"user", "  Hello!  "}}));
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->segments.size(), 1u);
  EXPECT_EQ(p->segments[0].text, "[INST] Hello! [/INST]");
  EXPECT_TRUE(p->segments[0].bos);
  EXPECT_FALSE(p->segments[0].eos);
  EXPECT_EQ(p->Text(), "<s>[INST] Hello! [/INST]");
}

TEST(ChatTemplateTest, Llama2SystemIsFoldedIntoTheFirstUserTurn) {
  auto p =
      ApplyChatTemplate(ChatTemplateKind::kLlama2, Msgs({{"system", "Be brief."}, {"user", "Hi"}}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->Text(), "<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]");
}

TEST(ChatTemplateTest, Llama2MultiTurnMatchesMetasFormat) {
  auto p = ApplyChatTemplate(
      ChatTemplateKind::kLlama2,
      Msgs({{"developer", "S"}, {"user", "U1"}, {"assistant", " A1 "}, {"user", "U2"}}));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->segments.size(), 2u);
  EXPECT_EQ(p->segments[0].text, "[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 ");
  EXPECT_TRUE(p->segments[0].bos);
  EXPECT_TRUE(p->segments[0].eos);  // a finished exchange ends with EOS
  EXPECT_EQ(p->segments[1].text, "[INST] U2 [/INST]");
  EXPECT_FALSE(p->segments[1].eos);
  EXPECT_EQ(p->Text(), "<s>[INST] <<SYS>>\nS\n<</SYS>>\n\nU1 [/INST] A1 </s><s>[INST] U2 [/INST]");
}

TEST(ChatTemplateTest, Llama2RolesMustAlternate) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kLlama2, Msgs({{"user", "a"}, {"user", "b"}}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().param, "messages[1].role");
  EXPECT_THAT(p.error().message, HasSubstr("must be 'assistant'"));
  auto q = ApplyChatTemplate(ChatTemplateKind::kLlama2, Msgs({{"assistant", "a"}, {"user", "b"}}));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().param, "messages[0].role");
}

TEST(ChatTemplateTest, PlainJoinsContents) {
  auto p = ApplyChatTemplate(
      ChatTemplateKind::kPlain,
      Msgs({{"system", "S"}, {"user", "Once upon a time"}, {"user", " there was "}}));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->segments.size(), 1u);
  EXPECT_EQ(p->segments[0].text, "S\nOnce upon a time\nthere was");
  EXPECT_TRUE(p->segments[0].bos);
  EXPECT_FALSE(p->segments[0].eos);
}

TEST(ChatTemplateTest, RoleErrorsNameTheMessage) {
  for (auto kind : {ChatTemplateKind::kLlama2, ChatTemplateKind::kPlain}) {
    auto empty = ApplyChatTemplate(kind, {});
    ASSERT_FALSE(empty.ok());
    EXPECT_EQ(empty.error().param, "messages");

    auto tool = ApplyChatTemplate(kind, Msgs({{"user", "a"}, {"tool", "b"}}));
    ASSERT_FALSE(tool.ok());
    EXPECT_EQ(tool.error().http_status, 400);
    EXPECT_EQ(tool.error().param, "messages[1].role");
    EXPECT_THAT(tool.error().message, HasSubstr("'tool'"));

    auto late_system =
        ApplyChatTemplate(kind, Msgs({{"user", "a"}, {"system", "b"}, {"user", "c"}}));
    ASSERT_FALSE(late_system.ok());
    EXPECT_EQ(late_system.error().param, "messages[1].role");
    EXPECT_THAT(late_system.error().message, HasSubstr("only allowed first"));

    auto last = ApplyChatTemplate(kind, Msgs({{"user", "a"}, {"assistant", "b"}}));
    ASSERT_FALSE(last.ok());
    EXPECT_EQ(last.error().param, "messages");
    EXPECT_THAT(last.error().message, HasSubstr("must have role 'user' (or 'tool'), got 'assistant'"));
  }
}

TEST(ChatTemplateTest, NamesAndDefaults) {
  EXPECT_EQ(ParseChatTemplateKind("llama-2"), ChatTemplateKind::kLlama2);
  EXPECT_EQ(ParseChatTemplateKind("plain"), ChatTemplateKind::kPlain);
  EXPECT_FALSE(ParseChatTemplateKind("vicuna").has_value());
  EXPECT_EQ(ToString(ChatTemplateKind::kLlama2), "llama-2");
  EXPECT_EQ(DefaultChatTemplate("stories15M"), ChatTemplateKind::kPlain);
  EXPECT_EQ(DefaultChatTemplate("tinystories-260k"), ChatTemplateKind::kPlain);
  EXPECT_EQ(DefaultChatTemplate("llama-2-7b-chat"), ChatTemplateKind::kLlama2);
}

}  // namespace
}  // namespace cacheopt
