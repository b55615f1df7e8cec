#include <grpo/tokenizer/char_tokenizer.h>

#include <grpo/support/files.h>

#include "support/text.h"
#include "support/utf8.h"

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <algorithm>

namespace grpo {

CharTokenizer::CharTokenizer(CharTokenizerOptions options)
    : options_(std::move(options)), starts_multi_char_(256, false) {
  const auto add = [&](const std::string& token, const char* what) {
    TORCH_CHECK(!token.empty(), "CharTokenizer: ", what, " must not be empty");
    TORCH_CHECK(ids_.emplace(token, static_cast<int64_t>(tokens_.size())).second, "CharTokenizer: ", what,
                " '", token, "' occurs twice in the vocabulary");
    tokens_.push_back(token);
  };
  add(options_.pad_token(), "pad_token");
  add(options_.eos_token(), "eos_token");
  add(options_.unk_token(), "unk_token");
  for (const auto& token : options_.added_tokens()) add(token, "added token");
  multi_char_by_length_ = tokens_;
  std::stable_sort(multi_char_by_length_.begin(), multi_char_by_length_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const auto& token : multi_char_by_length_) starts_multi_char_[static_cast<unsigned char>(token[0])] = true;

  const auto& characters = options_.characters();
  TORCH_CHECK(!characters.empty(), "CharTokenizer: characters must not be empty");
  for (size_t i = 0; i < characters.size();) {
    const auto length = detail::utf8_length_at(characters, i);
    TORCH_CHECK(length > 0, "CharTokenizer: characters must be valid UTF-8, invalid byte 0x", std::hex,
                static_cast<int>(static_cast<unsigned char>(characters[i])), std::dec, " at offset ", i);
    add(characters.substr(i, length), "character");
    i += length;
  }
}

std::vector<int64_t> CharTokenizer::encode(const std::string& text) const {
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    bool matched = false;
    if (starts_multi_char_[static_cast<unsigned char>(text[i])]) {
      for (const auto& token : multi_char_by_length_) {
        if (text.compare(i, token.size(), token) == 0) {
          ids.push_back(ids_.at(token));
          i += token.size();
          matched = true;
          break;
        }
      }
    }
    if (matched) continue;
    const auto length = std::max<size_t>(detail::utf8_length_at(text, i), 1);
    const auto found = ids_.find(text.substr(i, length));
    ids.push_back(found != ids_.end() ? found->second : kUnkId);
    i += length;
  }
  return ids;
}

std::string CharTokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::string text;
  for (const auto id : ids) {
    TORCH_CHECK(id >= 0 && id < vocab_size(), "CharTokenizer::decode: id ", id, " is outside [0, ",
                vocab_size(), ")");
    if (skip_special_tokens && id <= kUnkId) continue;
    text += tokens_[static_cast<size_t>(id)];
  }
  return text;
}

std::optional<int64_t> CharTokenizer::token_to_id(const std::string& token) const {
  const auto found = ids_.find(token);
  if (found == ids_.end()) return std::nullopt;
  return found->second;
}

void CharTokenizer::save(const std::string& directory) const {
  nlohmann::ordered_json j;
  j["characters"] = options_.characters();
  j["added_tokens"] = options_.added_tokens();
  j["pad_token"] = options_.pad_token();
  j["eos_token"] = options_.eos_token();
  j["unk_token"] = options_.unk_token();
  write_file_atomically(directory + "/char_tokenizer.json", [&](std::ostream& out) { out << j.dump(2) << '\n'; });
}

CharTokenizer CharTokenizer::from_file(const std::string& path) {
  const auto j = nlohmann::json::parse(detail::read_text_file(path, "CharTokenizer"), nullptr,
                                       /*allow_exceptions=*/false);
  TORCH_CHECK(!j.is_discarded() && j.is_object(), "CharTokenizer: '", path, "' is not a JSON object");
  const auto string_field = [&](const char* key) {
    TORCH_CHECK(j.contains(key) && j[key].is_string(), "CharTokenizer: '", path, "': '", key,
                "' must be a string");
    return j[key].get<std::string>();
  };
  CharTokenizerOptions options(string_field("characters"));
  options.pad_token(string_field("pad_token")).eos_token(string_field("eos_token")).unk_token(string_field("unk_token"));
  TORCH_CHECK(j.contains("added_tokens") && j["added_tokens"].is_array(), "CharTokenizer: '", path,
              "': 'added_tokens' must be an array of strings");
  std::vector<std::string> added;
  for (const auto& token : j["added_tokens"]) {
    TORCH_CHECK(token.is_string(), "CharTokenizer: '", path, "': 'added_tokens' must be an array of strings");
    added.push_back(token.get<std::string>());
  }
  options.added_tokens(added);
  try {
    return CharTokenizer(options);
  } catch (const c10::Error& e) {
    TORCH_CHECK(false, "CharTokenizer: '", path, "': ", e.what_without_backtrace());
  }
}

}  // namespace grpo
