#pragma once
/// @file Loading the tokenizer of a model directory, whichever kind it has.

#include <grpo/tokenizer/tokenizer.h>

#include <memory>
#include <string>

namespace grpo {

/// The tokenizer of a model directory: `tokenizer.json` (with `tokenizer_config.json` and
/// `chat_template.jinja` when present) as a BpeTokenizer, else `char_tokenizer.json` as a
/// CharTokenizer. Tokenizer::save() writes what this reads.
/// @throws c10::Error naming the directory when it has neither, or as the tokenizer's reader.
std::shared_ptr<const Tokenizer> load_tokenizer(const std::string& directory);

}  // namespace grpo
