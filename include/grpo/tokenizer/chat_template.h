#pragma once
/// @file Chat templates: a model's own Jinja template (tokenizer_config.json or
/// chat_template.jinja), rendered by grpo's Jinja interpreter exactly as transformers'
/// apply_chat_template renders it; and three layouts written out in C++ (ChatML, Llama 3 and a
/// user-given format) for conversations built in code.

#include <grpo/tokenizer/jinja.h>
#include <torch/arg.h>

#include <map>
#include <memory>
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
  /// A Jinja chat template (ChatTemplate::from_tokenizer_config, ChatTemplate::from_string).
  kJinja,
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
/// transformers' `apply_chat_template(messages, tokenize=False, add_generation_prompt=...,
/// tools=..., documents=..., **kwargs)` (docs/tokenizer.md lists the parity per template).
class ChatTemplate {
 public:
  /// @throws c10::Error when options.format() is kCustom and message_format() has no
  ///   `{content}`, or is kJinja (use from_string or from_tokenizer_config).
  explicit ChatTemplate(ChatTemplateOptions options = {});

  /// A Jinja chat template given as text. `special_tokens` (bos_token, eos_token...) become
  /// template variables, as transformers passes its special_tokens_map; `name` (a file name)
  /// prefixes error messages.
  /// @throws c10::Error with the name, line and column of a syntax error.
  static ChatTemplate from_string(const std::string& source, std::map<std::string, std::string> special_tokens = {},
                                  const std::string& name = "chat_template", JinjaLimits limits = {});

  /// The chat template of a `tokenizer_config.json`: its `chat_template` (a string, or a list
  /// of {"name", "template"} of which "default" is taken) or, when it has none, the
  /// `chat_template.jinja` beside it (where transformers 5 saves it); with the special tokens
  /// of the config (bos_token, eos_token, unk_token, sep_token, pad_token, cls_token,
  /// mask_token: strings or AddedToken objects with "content").
  /// @throws c10::Error naming the file when it cannot be read, is not JSON, has no template,
  ///   or the template does not parse (with its line and column).
  static ChatTemplate from_tokenizer_config(const std::string& path);

  /// The prompt text of `messages`; with `add_generation_prompt`, the opening of the
  /// assistant's turn is appended.
  /// @throws c10::Error for a role other than system, user and assistant (kChatML, kLlama3);
  ///   kJinja: what render_json() throws.
  std::string render(const std::vector<ChatMessage>& messages, bool add_generation_prompt) const;

  /// The prompt text of a conversation given as JSON (kJinja only): `messages_json` is a JSON
  /// array of message objects (role, content as text or a list of parts, tool_calls,
  /// reasoning_content, name, tool_call_id... as the template reads them); `kwargs_json` is a
  /// JSON object of further template variables (`tools`, `documents`, `enable_thinking`...),
  /// which override the special tokens. `tools` and `documents` are None when not given, and a
  /// message's reasoning given as `thinking` or `reasoning` is also passed as
  /// `reasoning_content` (and the reverse as `thinking`), as transformers does.
  /// @throws c10::Error for malformed JSON, a message that is not an object, or a rendering
  ///   error, naming the template, line and column; a template's raise_exception() message is
  ///   part of the error.
  std::string render_json(const std::string& messages_json, bool add_generation_prompt,
                          const std::string& kwargs_json = "{}") const;

  const ChatTemplateOptions& options() const { return options_; }
  /// The Jinja source (kJinja), else empty.
  const std::string& source() const { return source_; }

 private:
  ChatTemplateOptions options_;
  std::string source_;
  std::shared_ptr<const JinjaTemplate> jinja_;
  std::map<std::string, std::string> special_tokens_;
};

}  // namespace grpo
