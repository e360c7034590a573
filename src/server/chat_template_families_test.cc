// The Llama 3, ChatML and Mistral templates, rendered as llama.cpp's
// llm_chat_apply_template renders them, and their detection from a GGUF
// file's tokenizer.chat_template as llm_chat_detect_template does it.
#include <gtest/gtest.h>

#include "model/random_model.h"
#include "server/chat_template.h"

namespace cacheopt {
namespace {

std::vector<ChatMessage> Msgs(std::initializer_list<std::pair<const char*, const char*>> list) {
  std::vector<ChatMessage> v;
  for (auto [role, content] : list) v.push_back({role, content, {}, {}});
  return v;
}

const auto kConversation = Msgs({{"system", "Be brief."}, {"user", " Hi "}, {"assistant", " Hello. "}, {"user", "Bye"}});

TEST(ChatTemplateFamiliesTest, Llama3) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kLlama3, kConversation);
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->segments.size(), 1u);
  const PromptSegment& s = p->segments[0];
  EXPECT_EQ(s.text,
            "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
            "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  EXPECT_TRUE(s.bos);  // the vocabulary's add_bos decides
  EXPECT_FALSE(s.eos);
  EXPECT_TRUE(s.parse_special);
}

TEST(ChatTemplateFamiliesTest, ChatMlKeepsContentsAndAddsNoSystemMessage) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kChatMl, Msgs({{"user", " Hi "}}));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->segments.size(), 1u);
  EXPECT_EQ(p->segments[0].text, "<|im_start|>user\n Hi <|im_end|>\n<|im_start|>assistant\n");
  EXPECT_TRUE(p->segments[0].parse_special);
}

TEST(ChatTemplateFamiliesTest, MistralV1SplitsAtEachEos) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kMistralV1, kConversation);
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p->segments.size(), 2u);
  EXPECT_EQ(p->segments[0].text, " [INST] Be brief.\n\n Hi  [/INST]  Hello. ");
  EXPECT_TRUE(p->segments[0].bos);
  EXPECT_TRUE(p->segments[0].eos);
  EXPECT_EQ(p->segments[1].text, " [INST] Bye [/INST]");
  EXPECT_FALSE(p->segments[1].bos);
  EXPECT_FALSE(p->segments[1].eos);
  EXPECT_EQ(p->Text(), "<s> [INST] Be brief.\n\n Hi  [/INST]  Hello. </s> [INST] Bye [/INST]");
}

TEST(ChatTemplateFamiliesTest, MistralV3AndTekkenAndV7) {
  auto v3 = ApplyChatTemplate(ChatTemplateKind::kMistralV3, kConversation);
  ASSERT_TRUE(v3.ok());
  EXPECT_EQ(v3->Text(), "<s>[INST] Be brief.\n\n Hi [/INST] Hello.</s>[INST] Bye[/INST]");
  auto tekken = ApplyChatTemplate(ChatTemplateKind::kMistralV3Tekken, kConversation);
  ASSERT_TRUE(tekken.ok());
  EXPECT_EQ(tekken->Text(), "<s>[INST]Be brief.\n\n Hi [/INST] Hello. </s>[INST]Bye[/INST]");
  auto v7 = ApplyChatTemplate(ChatTemplateKind::kMistralV7, kConversation);
  ASSERT_TRUE(v7.ok());
  EXPECT_EQ(v7->Text(), "<s>[SYSTEM_PROMPT] Be brief.[/SYSTEM_PROMPT][INST]  Hi [/INST]  Hello. </s>[INST] Bye[/INST]");
}

TEST(ChatTemplateFamiliesTest, RolesAreStillChecked) {
  auto p = ApplyChatTemplate(ChatTemplateKind::kLlama3, Msgs({{"user", "a"}, {"assistant", "b"}}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().param, "messages");
  auto q = ApplyChatTemplate(ChatTemplateKind::kChatMl, Msgs({{"user", "a"}, {"system", "b"}, {"user", "c"}}));
  ASSERT_FALSE(q.ok());
  EXPECT_EQ(q.error().param, "messages[1].role");
}

TEST(ChatTemplateFamiliesTest, NamesRoundTrip) {
  for (auto k : {ChatTemplateKind::kLlama2, ChatTemplateKind::kPlain, ChatTemplateKind::kLlama3,
                 ChatTemplateKind::kChatMl, ChatTemplateKind::kMistralV1, ChatTemplateKind::kMistralV3,
                 ChatTemplateKind::kMistralV3Tekken, ChatTemplateKind::kMistralV7})
    EXPECT_EQ(ParseChatTemplateKind(ToString(k)), k);
  EXPECT_EQ(ChatTemplateNames(), "llama-2, plain, llama-3, chatml, mistral-v1, mistral-v3, mistral-v3-tekken, mistral-v7");
  EXPECT_FALSE(ParseChatTemplateKind("llama3").has_value());
}

// Template sources as the model families ship them (abridged to the parts
// the detection reads).
TEST(ChatTemplateFamiliesTest, DetectsTheKnownTemplates) {
  EXPECT_EQ(DetectChatTemplate("{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
                               "+ message['content'] | trim + '<|eot_id|>' %}"),
            ChatTemplateKind::kLlama3);
  EXPECT_EQ(DetectChatTemplate("{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'}}"),
            ChatTemplateKind::kChatMl);
  EXPECT_EQ(DetectChatTemplate("{{ '[INST] ' + message['content'] + ' [/INST]' }}"), ChatTemplateKind::kLlama2);
  EXPECT_EQ(DetectChatTemplate("{{ bos_token + '[INST] <<SYS>>' }}"), ChatTemplateKind::kLlama2);
  EXPECT_EQ(DetectChatTemplate("{{- ' [INST] ' + system_message }}"), ChatTemplateKind::kMistralV1);
  EXPECT_EQ(DetectChatTemplate("[AVAILABLE_TOOLS]{{ '[INST]' + content }}"), ChatTemplateKind::kMistralV3);
  EXPECT_EQ(DetectChatTemplate("[AVAILABLE_TOOLS]{{ \"[INST]\" + content }}"), ChatTemplateKind::kMistralV3Tekken);
  EXPECT_EQ(DetectChatTemplate("{{ '[SYSTEM_PROMPT]' }}{{ '[INST]' }}"), ChatTemplateKind::kMistralV7);
  EXPECT_EQ(DetectChatTemplate("mistral-v7"), ChatTemplateKind::kMistralV7);
  // Not ours: unknown or a family llama.cpp tells apart first.
  EXPECT_FALSE(DetectChatTemplate("").has_value());
  EXPECT_FALSE(DetectChatTemplate("{{ messages }}").has_value());
  EXPECT_FALSE(DetectChatTemplate("<start_of_turn>user\n").has_value());
  EXPECT_FALSE(DetectChatTemplate("<|im_start|><|im_sep|>").has_value());
  EXPECT_FALSE(DetectChatTemplate("<|user|><|assistant|><|start_header_id|><|end_header_id|>").has_value());
}

// The templates make-model writes (the Hugging Face ones of Llama 3
// Instruct, Qwen2 Instruct, Mistral 7B Instruct v0.1) are recognised as
// llama.cpp recognises them; v0.1's is Llama 2's format for llama.cpp too.
TEST(ChatTemplateFamiliesTest, DetectsTheGeneratedModelsTemplates) {
  auto kind = [](const char* style) {
    auto m = MakeRandomModel("micro", 1, style);
    EXPECT_TRUE(m.ok());
    return m.ok() ? DetectChatTemplate(m->chat_template) : std::nullopt;
  };
  EXPECT_EQ(kind("llama3"), ChatTemplateKind::kLlama3);
  EXPECT_EQ(kind("qwen2"), ChatTemplateKind::kChatMl);
  EXPECT_EQ(kind("mistral"), ChatTemplateKind::kLlama2);
  EXPECT_FALSE(kind("llama").has_value());  // no template: the name's default applies
}

}  // namespace
}  // namespace cacheopt
