// ChatTemplate: the ChatML and Llama 3 chat templates written out in C++, following the Jinja
// templates that Qwen2.5 and Llama 3 ship (as stored in TRL's chat_templates/), without tools.
#include <grpo/tokenizer/chat_template.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

namespace grpo {
namespace {

using Json = nlohmann::json;

void check_role(const ChatMessage& message) {
  TORCH_CHECK(message.role == "system" || message.role == "user" || message.role == "assistant",
              "ChatTemplate: role must be system, user or assistant, got \"", message.role, "\"");
}

/// Whether the code point starting at text[i] (of `length` bytes) is whitespace for Python's
/// str.strip, which Jinja's `trim` filter calls.
bool is_python_space(const std::string& text, size_t i, size_t* length) {
  const auto b0 = static_cast<unsigned char>(text[i]);
  *length = 1;
  if ((b0 >= 0x09 && b0 <= 0x0D) || (b0 >= 0x1C && b0 <= 0x20)) return true;
  if (b0 < 0x80) return false;
  uint32_t cp = 0;
  if ((b0 & 0xE0) == 0xC0 && i + 1 < text.size()) {
    cp = ((b0 & 0x1Fu) << 6) | (static_cast<unsigned char>(text[i + 1]) & 0x3Fu);
    *length = 2;
  } else if ((b0 & 0xF0) == 0xE0 && i + 2 < text.size()) {
    cp = ((b0 & 0x0Fu) << 12) | ((static_cast<unsigned char>(text[i + 1]) & 0x3Fu) << 6) |
         (static_cast<unsigned char>(text[i + 2]) & 0x3Fu);
    *length = 3;
  } else {
    return false;
  }
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/// `text` without leading and trailing whitespace, as Python's str.strip().
std::string python_strip(const std::string& text) {
  size_t begin = 0;
  size_t length = 0;
  while (begin < text.size() && is_python_space(text, begin, &length)) begin += length;
  size_t end = text.size();
  while (end > begin) {
    // Step back to the start of the last character.
    size_t start = end - 1;
    while (start > begin && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    if (!is_python_space(text, start, &length) || start + length != end) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

/// The text of a Jinja string literal's body with its escapes (\n, \t, \', \", \\) resolved.
std::string unescape_jinja(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      const char next = body[++i];
      out += next == 'n' ? '\n' : next == 't' ? '\t' : next;
    } else {
      out += body[i];
    }
  }
  return out;
}

/// The default system message a ChatML template writes when the conversation has none: the
/// literal text between `<|im_start|>system\n` and `<|im_end|>` inside one Jinja string.
std::optional<std::string> chatml_default_system(const std::string& chat_template) {
  const std::string open = "<|im_start|>system\\n";
  for (size_t at = chat_template.find(open); at != std::string::npos;
       at = chat_template.find(open, at + 1)) {
    const size_t begin = at + open.size();
    const size_t end = chat_template.find("<|im_end|>", begin);
    if (end == std::string::npos) break;
    const std::string body = chat_template.substr(begin, end - begin);
    if (!body.empty() && body.find_first_of("'\"{}") == std::string::npos) {
      return unescape_jinja(body);
    }
  }
  return std::nullopt;
}

std::optional<std::string> token_content(const Json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content")) return it->at("content").get<std::string>();
  return std::nullopt;
}

}  // namespace

ChatTemplate::ChatTemplate(ChatTemplateOptions options) : options_(std::move(options)) {
  TORCH_CHECK(options_.format() != ChatFormat::kCustom ||
                  options_.message_format().find("{content}") != std::string::npos,
              "ChatTemplateOptions: message_format must contain {content}, got \"",
              options_.message_format(), "\"");
}

ChatTemplate ChatTemplate::from_tokenizer_config(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  TORCH_CHECK(file.good(), "ChatTemplate: cannot open ", path);
  Json config;
  try {
    config = Json::parse(file);
  } catch (const Json::exception& e) {
    TORCH_CHECK(false, "ChatTemplate: ", path, " is not valid JSON: ", e.what());
  }
  // transformers 5 saves the template beside the config, as chat_template.jinja.
  std::string chat_template;
  const auto it = config.find("chat_template");
  if (it != config.end() && it->is_string()) {
    chat_template = it->get<std::string>();
  } else {
    const auto slash = path.find_last_of('/');
    const std::string jinja = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) +
                              "/chat_template.jinja";
    std::ifstream in(jinja, std::ios::binary);
    TORCH_CHECK(in.good(), "ChatTemplate: ", path, " has no chat_template string and there is no ", jinja);
    chat_template.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  const auto unsupported = [&](const char* why) {
    TORCH_CHECK(false, "ChatTemplate: ", path, ": unsupported chat_template (", why,
                "); give the format with ChatTemplateOptions");
  };
  if (chat_template.find("<|im_start|>") != std::string::npos) {
    if (chat_template.find("<think>") != std::string::npos) unsupported("thinking blocks, as Qwen3's");
    return ChatTemplate(ChatTemplateOptions()
                            .format(ChatFormat::kChatML)
                            .default_system(chatml_default_system(chat_template)));
  }
  if (chat_template.find("<|start_header_id|>") != std::string::npos) {
    if (chat_template.find("Cutting Knowledge Date") != std::string::npos) {
      unsupported("dated system header, as Llama 3.1's");
    }
    return ChatTemplate(ChatTemplateOptions()
                            .format(ChatFormat::kLlama3)
                            .bos_token(token_content(config, "bos_token").value_or("")));
  }
  unsupported("neither ChatML nor Llama 3");
  return ChatTemplate();
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
  std::string out;
  switch (options_.format()) {
    case ChatFormat::kChatML: {
      const bool has_system = !messages.empty() && messages.front().role == "system";
      if (!has_system && options_.default_system()) {
        out += "<|im_start|>system\n" + *options_.default_system() + "<|im_end|>\n";
      }
      for (const ChatMessage& message : messages) {
        check_role(message);
        out += "<|im_start|>" + message.role + "\n" + message.content + "<|im_end|>\n";
      }
      if (add_generation_prompt) out += "<|im_start|>assistant\n";
      break;
    }
    case ChatFormat::kLlama3: {
      for (size_t i = 0; i < messages.size(); ++i) {
        check_role(messages[i]);
        if (i == 0) out += options_.bos_token();
        out += "<|start_header_id|>" + messages[i].role + "<|end_header_id|>\n\n" +
               python_strip(messages[i].content) + "<|eot_id|>";
      }
      if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
      break;
    }
    case ChatFormat::kCustom: {
      for (const ChatMessage& message : messages) {
        std::string text = options_.message_format();
        replace_all(text, "{role}", message.role);
        replace_all(text, "{content}", message.content);
        out += text;
      }
      if (add_generation_prompt) out += options_.generation_prompt();
      break;
    }
  }
  return out;
}

}  // namespace grpo
