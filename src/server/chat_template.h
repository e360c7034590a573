// Chat templates: a messages array -> the prompt the model reads.
//
// kLlama2 is Meta's Llama-2-chat format (llama/generation.py chat_completion,
// the same as the Hugging Face tokenizer_config template):
//   <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user_1} [/INST] {assistant_1} </s>
//   <s>[INST] {user_2} [/INST]
// An optional leading system message is folded into the first user turn;
// after it, roles must alternate user / assistant / user ... and end with a
// user turn; contents are stripped of surrounding whitespace. BOS and EOS
// are special tokens, not text, so the result is a list of segments, each
// encoded on its own (Tokenizer::Encode(text, bos, eos)) and concatenated:
// one segment per finished exchange (BOS + EOS) and a last one (BOS only).
//
// kPlain is for models with no chat tuning, such as the llama2.c TinyStories
// models: the contents joined by "\n", no role markers, in one BOS segment.
// Such a model only continues text; markers it never saw would just be noise
// it copies. Roles are validated the same way, but need not alternate.
//
// "developer" (OpenAI's newer name for "system") is accepted as "system".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace cacheopt {

enum class ChatTemplateKind : int8_t { kLlama2, kPlain };

// "llama-2" | "plain".
std::optional<ChatTemplateKind> ParseChatTemplateKind(std::string_view name);
std::string_view ToString(ChatTemplateKind kind);
// kPlain for names containing "stories" (the llama2.c TinyStories models),
// else kLlama2; a server option may override it.
ChatTemplateKind DefaultChatTemplate(std::string_view model_name);

struct PromptSegment {
  std::string text;
  bool bos = true;
  bool eos = false;
};

struct ChatPrompt {
  std::vector<PromptSegment> segments;
  // The whole prompt as one string, "<s>" and "</s>" written out, as Hugging
  // Face renders it: for logs and the text length estimator; encode the
  // segments, not this.
  std::string Text() const;
};

// 400 naming "messages" (or "messages[i].role") on an empty array, an
// unknown role, a misplaced system message, roles that do not alternate
// (kLlama2), or a last message that is not from the user.
ApiResult<ChatPrompt> ApplyChatTemplate(ChatTemplateKind kind,
                                        const std::vector<ChatMessage>& messages);

}  // namespace cacheopt
