// The C++ side of chat_parity.py and jinja_parity.py: renders conversations with ChatTemplate.
//
//   grpo_chat_render TOKENIZER_CONFIG_JSON CONVERSATIONS_JSONL OUT_JSONL
//     Each input line is {"messages": [{"role": ..., "content": ...}, ...],
//     "add_generation_prompt": bool}; each output line is {"text": ...}.
//   grpo_chat_render --jinja TEMPLATES_JSON CASES_JSONL OUT_JSONL
//     TEMPLATES_JSON is {"special_tokens": {...}, "templates": {name: source}}; each case line
//     is {"template": name, "messages": [...], "add_generation_prompt": bool, "kwargs": {...}},
//     rendered with ChatTemplate::render_json; each output line is {"text": ...} or
//     {"error": message} (a template that fails to parse fails every one of its cases).
//   grpo_chat_render --encode MODEL_DIR CASES_JSONL OUT_JSONL
//     Renders each case (as --jinja, without "template") with the chat template of
//     MODEL_DIR/tokenizer_config.json and encodes it with MODEL_DIR's tokenizer (no special
//     tokens added); each output line is {"text": ..., "ids": [...]}.
#include <grpo/tokenizer/bpe_tokenizer.h>
#include <grpo/tokenizer/chat_template.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace {

int render_jinja_cases(const char* templates_path, const char* cases_path, const char* out_path) {
  std::ifstream templates_file(templates_path);
  const auto spec = nlohmann::json::parse(templates_file);
  std::map<std::string, std::string> special_tokens;
  for (const auto& item : spec.at("special_tokens").items()) special_tokens[item.key()] = item.value().get<std::string>();
  std::map<std::string, std::optional<grpo::ChatTemplate>> templates;
  std::map<std::string, std::string> parse_errors;
  for (const auto& item : spec.at("templates").items()) {
    try {
      templates.emplace(item.key(), grpo::ChatTemplate::from_string(item.value().get<std::string>(), special_tokens,
                                                                      item.key() + ".jinja"));
    } catch (const std::exception& e) {
      parse_errors[item.key()] = e.what();
    }
  }
  std::ifstream in(cases_path);
  std::ofstream out(out_path);
  for (std::string line; std::getline(in, line);) {
    const auto row = nlohmann::ordered_json::parse(line);
    const std::string name = row.at("template").get<std::string>();
    nlohmann::ordered_json result;
    auto it = templates.find(name);
    if (it == templates.end()) {
      result["error"] = parse_errors.count(name) ? parse_errors[name] : "no template named " + name;
    } else {
      try {
        result["text"] = it->second->render_json(row.at("messages").dump(), row.at("add_generation_prompt").get<bool>(),
                                                 row.value("kwargs", nlohmann::ordered_json::object()).dump());
      } catch (const std::exception& e) {
        result["error"] = std::string(e.what());
      }
    }
    out << result.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return 0;
}

int render_and_encode(const std::string& model_dir, const char* cases_path, const char* out_path) {
  const auto chat = grpo::ChatTemplate::from_tokenizer_config(model_dir + "/tokenizer_config.json");
  const auto tokenizer = grpo::BpeTokenizer::from_directory(model_dir);
  std::ifstream in(cases_path);
  std::ofstream out(out_path);
  for (std::string line; std::getline(in, line);) {
    const auto row = nlohmann::ordered_json::parse(line);
    const std::string text = chat.render_json(row.at("messages").dump(), row.at("add_generation_prompt").get<bool>(),
                                              row.value("kwargs", nlohmann::ordered_json::object()).dump());
    nlohmann::ordered_json result;
    result["text"] = text;
    result["ids"] = tokenizer.encode(text, /*add_special_tokens=*/false);
    out << result.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--encode") {
    try {
      return render_and_encode(argv[2], argv[3], argv[4]);
    } catch (const std::exception& e) {
      std::cerr << "grpo_chat_render: " << e.what() << "\n";
      return 1;
    }
  }
  if (argc == 5 && std::string(argv[1]) == "--jinja") {
    try {
      return render_jinja_cases(argv[2], argv[3], argv[4]);
    } catch (const std::exception& e) {
      std::cerr << "grpo_chat_render: " << e.what() << "\n";
      return 1;
    }
  }
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " TOKENIZER_CONFIG_JSON CONVERSATIONS_JSONL OUT_JSONL\n"
              << "       " << argv[0] << " --jinja TEMPLATES_JSON CASES_JSONL OUT_JSONL\n"
              << "       " << argv[0] << " --encode MODEL_DIR CASES_JSONL OUT_JSONL\n";
    return 2;
  }
  try {
    const auto chat = grpo::ChatTemplate::from_tokenizer_config(argv[1]);
    std::ifstream in(argv[2]);
    std::ofstream out(argv[3]);
    for (std::string line; std::getline(in, line);) {
      const auto row = nlohmann::json::parse(line);
      std::vector<grpo::ChatMessage> messages;
      for (const auto& m : row.at("messages")) {
        messages.push_back({m.at("role").get<std::string>(), m.at("content").get<std::string>()});
      }
      const nlohmann::json result = {
          {"text", chat.render(messages, row.at("add_generation_prompt").get<bool>())}};
      out << result.dump() << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "grpo_chat_render: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
