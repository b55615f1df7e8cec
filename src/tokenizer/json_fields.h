#pragma once
// Typed reads of tokenizer.json fields shared by the loaders of the tokenizer's components.

#include <c10/util/Exception.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace grpo::detail {

using TokenizerJson = nlohmann::json;

/// object[key] as a string; nullopt when it is missing or null.
inline std::optional<std::string> optional_string(const TokenizerJson& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::nullopt;
  return it->get<std::string>();
}

/// object[key] as a bool; `fallback` when it is missing or null.
inline bool optional_bool(const TokenizerJson& object, const char* key, bool fallback) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return fallback;
  return it->get<bool>();
}

/// object["type"], or "" when it is missing or not a string.
inline std::string type_of(const TokenizerJson& object) {
  const auto it = object.find("type");
  return it == object.end() || !it->is_string() ? std::string() : it->get<std::string>();
}

/// A token id in [0, 2^31).
/// @throws c10::Error naming `where` and the id otherwise.
inline int32_t checked_id(const TokenizerJson& value, const std::string& where) {
  const auto id = value.get<int64_t>();
  TORCH_CHECK(id >= 0 && id < (int64_t{1} << 31), "BpeTokenizer: ", where, ": token id ", id,
              " is outside [0, 2^31)");
  return static_cast<int32_t>(id);
}

}  // namespace grpo::detail
