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
// The templates of Llama 3, ChatML (Qwen2) and Mistral are rendered as
// llama.cpp's llm_chat_apply_template renders them (src/llama-chat.cpp),
// each as one segment whose special-token strings ("<|eot_id|>",
// "<|im_end|>") the tokenizer parses as tokens (parse_special), BOS as the
// vocabulary adds it:
//   kLlama3   <|start_header_id|>{role}<|end_header_id|>\n\n{trimmed}<|eot_id|>
//             ... then <|start_header_id|>assistant<|end_header_id|>\n\n
//   kChatMl   <|im_start|>{role}\n{content}<|im_end|>\n ... <|im_start|>assistant\n
//             (no default system message is added)
//   kMistralV1/V3/V3Tekken  [INST] {system}\n\n{user} [/INST] {assistant}</s>...
//             (v1: " [INST] " and " [/INST]"; v3: no leading space, the
//             assistant text trimmed; v3-tekken: no spaces)
//   kMistralV7  [SYSTEM_PROMPT] {system}[/SYSTEM_PROMPT][INST] {user}[/INST] {assistant}</s>
// For Mistral each "</s>" is an EOS token: the text is split there into
// segments (eos = true), BOS on the first only, so a SentencePiece
// vocabulary (which parses no special tokens) gets the same ids.
//
// "developer" (OpenAI's newer name for "system") is accepted as "system".
//
// Tools (tool_calls.h) are rendered for kLlama3 (Meta's Llama 3.1 template:
// an "Environment: ipython" system block, the tools as indented JSON in the
// first user message, calls as {"name", "parameters"}, results under the
// "ipython" role) and kChatMl (Qwen2.5's template: the tools inside
// <tools></tools> in the system message, calls in <tool_call> tags, results
// as <tool_response> blocks in a user turn); docs/server.md has the layouts.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.h"
#include "server/openai_request.h"

namespace cacheopt {

enum class ChatTemplateKind : int8_t {
  kLlama2,
  kPlain,
  kLlama3,
  kChatMl,
  kMistralV1,
  kMistralV3,
  kMistralV3Tekken,
  kMistralV7,
};

// "llama-2" | "plain" | "llama-3" | "chatml" | "mistral-v1" | "mistral-v3" |
// "mistral-v3-tekken" | "mistral-v7".
std::optional<ChatTemplateKind> ParseChatTemplateKind(std::string_view name);
std::string_view ToString(ChatTemplateKind kind);
// The valid names, comma-separated, for error messages.
std::string ChatTemplateNames();
// kPlain for names containing "stories" (the llama2.c TinyStories models),
// else kLlama2; a server option may override it.
ChatTemplateKind DefaultChatTemplate(std::string_view model_name);

// The kind of a model's own template (GGUF tokenizer.chat_template, Jinja
// source), recognised by the substrings llama.cpp's llm_chat_detect_template
// looks for, in its order (after llama.cpp's own names: chatml, llama2*,
// llama3, mistral-v1, -v3, -v3-tekken, -v7):
//   "<|im_start|>" (without "<|im_sep|>" or "<end_of_utterance>")   -> chatml
//   starts with "mistral" or has "[INST]":
//     "[SYSTEM_PROMPT]"                                              -> mistral-v7
//     "' [INST] ' + system_message" or "[AVAILABLE_TOOLS]":
//        " [INST]" -> mistral-v1, "\"[INST]\"" -> mistral-v3-tekken, else mistral-v3
//     else (Llama 2 and Mistral 7B v0.1's template)                  -> llama-2
//   "<|start_header_id|>" and "<|end_header_id|>"                    -> llama-3
// nullopt for an empty template and for every other family, including
// those llama.cpp checks before Llama 3 (Phi, ChatGLM, Gemma, Vicuna,
// DeepSeek, Command-R, ...): the caller then falls back to
// DefaultChatTemplate.
std::optional<ChatTemplateKind> DetectChatTemplate(std::string_view tmpl);

struct PromptSegment {
  std::string text;
  bool bos = true;
  bool eos = false;
  bool parse_special = false;  // special-token strings in text are tokens (Tokenizer::Encode)
};

struct ChatPrompt {
  std::vector<PromptSegment> segments;
  // The whole prompt as one string, "<s>" and "</s>" written out, as Hugging
  // Face renders it: for logs and the text length estimator; encode the
  // segments, not this.
  std::string Text() const;
};

// The tool-call format of a template; nullopt when it has none.
std::optional<ToolFormat> ToolFormatOf(ChatTemplateKind kind);

// 400 naming "messages" (or "messages[i].role") on an empty array, an
// unknown role, a misplaced system message, roles that do not alternate
// (kLlama2), or a last message that is not from the user (or a tool); 400
// naming "tools" (or the tool message / call) for a template without a
// tool format. `prefill_call`: the prompt ends with the format's opening
// tag, for a forced call (ChatML's "<tool_call>\n").
ApiResult<ChatPrompt> ApplyChatTemplate(ChatTemplateKind kind, const std::vector<ChatMessage>& messages,
                                        const std::vector<ToolFunction>& tools = {}, bool prefill_call = false);

}  // namespace cacheopt
