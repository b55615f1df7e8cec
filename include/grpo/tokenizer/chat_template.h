#pragma once
/// @file Chat templates rendered natively (no Jinja engine): the ChatML family (Qwen2/Qwen2.5,
/// SmolLM2), Llama 3, and a user-given format.

#include <torch/arg.h>

#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// One turn of a conversation.
struct ChatMessage {
  /// "system", "user" or "assistant".
  std::string role;
  std::string content;
};

/// The layouts ChatTemplate renders.
enum class ChatFormat {
  /// `<|im_start|>{role}\n{content}<|im_end|>\n` per message, an optional default system
  /// message when the conversation has none (Qwen2.5, SmolLM2); prompt `<|im_start|>assistant\n`.
  kChatML,
  /// `{bos}` then `<|start_header_id|>{role}<|end_header_id|>\n\n{content, stripped}<|eot_id|>`
  /// per message (Llama 3); prompt `<|start_header_id|>assistant<|end_header_id|>\n\n`.
  kLlama3,
  /// `message_format` with `{role}` and `{content}` replaced, per message; then
  /// `generation_prompt`.
  kCustom,
};

/// How ChatTemplate lays out a conversation.
struct ChatTemplateOptions {
  /// Layout. Default: kChatML.
  TORCH_ARG(ChatFormat, format) = ChatFormat::kChatML;
  /// kChatML: content of the system message put first when the conversation does not start
  /// with one (Qwen2.5: "You are Qwen, created by Alibaba Cloud. You are a helpful
  /// assistant."). Default: unset (none).
  TORCH_ARG(std::optional<std::string>, default_system) = std::nullopt;
  /// kLlama3: text put before the first message. Default: "<|begin_of_text|>".
  TORCH_ARG(std::string, bos_token) = "<|begin_of_text|>";
  /// kCustom: text of one message, with `{role}` and `{content}` placeholders; must hold
  /// `{content}`. Default: "{role}: {content}\n".
  TORCH_ARG(std::string, message_format) = "{role}: {content}\n";
  /// kCustom: text that opens the assistant's turn. Default: "assistant: ".
  TORCH_ARG(std::string, generation_prompt) = "assistant: ";
};

/// Renders a conversation into the prompt text a chat model was trained on, equal to
/// transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt=...)` for
/// the supported templates (without tools).
class ChatTemplate {
 public:
  /// @throws c10::Error when options.format() is kCustom and message_format() has no
  ///   `{content}`.
  explicit ChatTemplate(ChatTemplateOptions options = {});

  /// The format of a `tokenizer_config.json`'s `chat_template` (or, when it has none, of the
  /// `chat_template.jinja` beside it, where transformers 5 saves it): ChatML (with the default
  /// system message written in the template, if any) or Llama 3 (with its `bos_token`).
  /// @throws c10::Error naming the file when it cannot be read, has no `chat_template`, or the
  ///   template is none of these (for example Llama 3.1's dated system header or Qwen3's
  ///   thinking blocks).
  static ChatTemplate from_tokenizer_config(const std::string& path);

  /// The prompt text of `messages`; with `add_generation_prompt`, the opening of the
  /// assistant's turn is appended.
  /// @throws c10::Error for a role other than system, user and assistant (kChatML, kLlama3).
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  const ChatTemplateOptions& options() const { return options_; }

 private:
  ChatTemplateOptions options_;
};

}  // namespace grpo
