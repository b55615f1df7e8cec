#include "tokenizer/post_processors.h"

namespace grpo::detail {

PostProcessor PostProcessor::from_json(const TokenizerJson& j, const std::string& path) {
  PostProcessor processor;
  processor.add(j, path);
  return processor;
}

void PostProcessor::add(const TokenizerJson& j, const std::string& path) {
  if (j.is_null()) return;
  const std::string type = type_of(j);
  if (type == "Sequence") {
    for (const auto& child : j.at("processors")) add(child, path);
  } else if (type == "ByteLevel") {
    // Offsets only; ids are unchanged.
  } else if (type == "TemplateProcessing") {
    bool seen_sequence = false;
    for (const auto& piece : j.at("single")) {
      if (piece.contains("Sequence")) {
        TORCH_CHECK(!seen_sequence, "BpeTokenizer: ", path,
                    ": TemplateProcessing single template has more than one sequence");
        seen_sequence = true;
        continue;
      }
      const auto name = piece.at("SpecialToken").at("id").get<std::string>();
      const TokenizerJson& special_tokens = j.at("special_tokens");
      TORCH_CHECK(special_tokens.contains(name), "BpeTokenizer: ", path,
                  ": TemplateProcessing names the unknown special token \"", name, "\"");
      auto& target = seen_sequence ? suffix_ids_ : prefix_ids_;
      for (const auto& id : special_tokens.at(name).at("ids")) target.push_back(checked_id(id, path));
    }
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    prefix_ids_.push_back(checked_id(j.at("cls").at(1), path));
    suffix_ids_.push_back(checked_id(j.at("sep").at(1), path));
  } else {
    TORCH_CHECK(false, "BpeTokenizer: ", path, ": unsupported post_processor type \"", type,
                "\" (supported: ByteLevel, TemplateProcessing, RobertaProcessing, "
                "BertProcessing, Sequence)");
  }
}

}  // namespace grpo::detail
