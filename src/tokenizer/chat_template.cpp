// ChatTemplate: a model's Jinja chat template rendered by grpo's interpreter (as transformers'
// apply_chat_template), and the ChatML and Llama 3 layouts written out in C++ for
// ChatTemplateOptions, following the templates Qwen2.5 and Llama 3 ship.
#include <grpo/tokenizer/chat_template.h>

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <iterator>

namespace grpo {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

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
  TORCH_CHECK(options_.format() != ChatFormat::kJinja,
              "ChatTemplateOptions: format kJinja needs a template; use ChatTemplate::from_string or "
              "ChatTemplate::from_tokenizer_config");
}

ChatTemplate ChatTemplate::from_string(const std::string& source, std::map<std::string, std::string> special_tokens,
                                       const std::string& name, JinjaLimits limits) {
  ChatTemplate chat;
  chat.options_.format(ChatFormat::kJinja);
  chat.source_ = source;
  chat.special_tokens_ = std::move(special_tokens);
  try {
    chat.jinja_ = std::make_shared<const JinjaTemplate>(source, name, limits);
  } catch (const JinjaError& e) {
    TORCH_CHECK(false, "ChatTemplate: syntax error in ", e.what());
  }
  return chat;
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
  TORCH_CHECK(config.is_object(), "ChatTemplate: ", path, " is not a JSON object");
  std::string chat_template;
  std::string name = path;
  const auto it = config.find("chat_template");
  if (it != config.end() && it->is_string()) {
    chat_template = it->get<std::string>();
  } else if (it != config.end() && it->is_array()) {
    // The list-of-named-templates form: [{"name": "default", "template": ...}, {"name": "tool_use", ...}].
    bool found = false;
    std::string names;
    for (const auto& entry : *it) {
      if (!entry.is_object() || !entry.contains("name") || !entry.contains("template")) continue;
      const std::string entry_name = entry.at("name").is_string() ? entry.at("name").get<std::string>() : "";
      names += (names.empty() ? "" : ", ") + entry_name;
      if (entry_name == "default" && entry.at("template").is_string()) {
        chat_template = entry.at("template").get<std::string>();
        found = true;
      }
    }
    TORCH_CHECK(found, "ChatTemplate: ", path, " lists chat templates (", names, ") but none named \"default\"");
    name = path + " (chat_template \"default\")";
  } else {
    // transformers 5 saves the template beside the config, as chat_template.jinja.
    const auto slash = path.find_last_of('/');
    const std::string jinja = (slash == std::string::npos ? std::string(".") : path.substr(0, slash)) +
                              "/chat_template.jinja";
    std::ifstream in(jinja, std::ios::binary);
    TORCH_CHECK(in.good(), "ChatTemplate: ", path, " has no chat_template and there is no ", jinja);
    chat_template.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    name = jinja;
  }
  std::map<std::string, std::string> special_tokens;
  for (const char* key : {"bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"}) {
    if (auto token = token_content(config, key)) special_tokens[key] = *token;
  }
  return from_string(chat_template, std::move(special_tokens), name);
}

std::string ChatTemplate::render_json(const std::string& messages_json, bool add_generation_prompt,
                                      const std::string& kwargs_json) const {
  TORCH_CHECK(jinja_, "ChatTemplate::render_json: needs a Jinja template (from_string or from_tokenizer_config)");
  OrderedJson messages;
  OrderedJson kwargs;
  try {
    messages = OrderedJson::parse(messages_json);
    kwargs = OrderedJson::parse(kwargs_json.empty() ? std::string("{}") : kwargs_json);
  } catch (const OrderedJson::exception& e) {
    TORCH_CHECK(false, "ChatTemplate::render_json: malformed JSON: ", e.what());
  }
  TORCH_CHECK(messages.is_array(), "ChatTemplate::render_json: messages must be a JSON array");
  TORCH_CHECK(kwargs.is_object(), "ChatTemplate::render_json: kwargs must be a JSON object");
  // A message's reasoning under any of its names is passed as `thinking` (first, unless the
  // message has it) and `reasoning_content` (last, unless the message has it), as transformers'
  // _alias_reasoning_fields does.
  OrderedJson chat = OrderedJson::array();
  for (size_t k = 0; k < messages.size(); ++k) {
    const OrderedJson& message = messages[k];
    TORCH_CHECK(message.is_object(), "ChatTemplate::render_json: message ", k, " is not a JSON object");
    const OrderedJson* reasoning = nullptr;
    for (const char* key : {"reasoning_content", "thinking", "reasoning"}) {
      const auto field = message.find(key);
      if (field != message.end() && !field->is_null()) {
        reasoning = &*field;
        break;
      }
    }
    if (!reasoning) {
      chat.push_back(message);
      continue;
    }
    OrderedJson aliased = OrderedJson::object();
    aliased["thinking"] = *reasoning;
    for (const auto& item : message.items()) aliased[item.key()] = item.value();
    aliased["reasoning_content"] = *reasoning;
    chat.push_back(std::move(aliased));
  }
  OrderedJson context = OrderedJson::object();
  context["messages"] = std::move(chat);
  context["tools"] = kwargs.contains("tools") ? kwargs["tools"] : OrderedJson();
  context["documents"] = kwargs.contains("documents") ? kwargs["documents"] : OrderedJson();
  context["add_generation_prompt"] = add_generation_prompt;
  for (const auto& token : special_tokens_) context[token.first] = token.second;
  for (const auto& item : kwargs.items()) {
    if (item.key() != "tools" && item.key() != "documents" && item.key() != "add_generation_prompt") {
      context[item.key()] = item.value();
    }
  }
  try {
    return jinja_->render(context.dump(-1, ' ', false, OrderedJson::error_handler_t::replace));
  } catch (const JinjaError& e) {
    TORCH_CHECK(false, "ChatTemplate: ", e.what());
  }
  return {};
}

std::string ChatTemplate::render(const std::vector<ChatMessage>& messages,
                                 bool add_generation_prompt) const {
  if (options_.format() == ChatFormat::kJinja) {
    OrderedJson json = OrderedJson::array();
    for (const ChatMessage& message : messages) json.push_back({{"role", message.role}, {"content", message.content}});
    return render_json(json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace), add_generation_prompt);
  }
  std::string out;
  switch (options_.format()) {
    case ChatFormat::kJinja:
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
