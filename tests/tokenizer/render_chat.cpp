// The C++ side of chat_parity.py: renders conversations with ChatTemplate.
//
//   grpo_chat_render TOKENIZER_CONFIG_JSON CONVERSATIONS_JSONL OUT_JSONL
//
// Each input line is {"messages": [{"role": ..., "content": ...}, ...],
// "add_generation_prompt": bool}; each output line is {"text": ...}.
#include <grpo/tokenizer/chat_template.h>

#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: " << argv[0] << " TOKENIZER_CONFIG_JSON CONVERSATIONS_JSONL OUT_JSONL\n";
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
