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

/// A token id: a JSON integer in [0, 2^31) (a float such as 5e128 is refused before any
/// conversion, which would be undefined behaviour out of range).
/// @throws c10::Error naming `where` and the value otherwise.
inline int32_t checked_id(const TokenizerJson& value, const std::string& where) {
  TORCH_CHECK(value.is_number_integer(), "BpeTokenizer: ", where, ": token id ", value.dump(), " is not an integer");
  constexpr uint64_t kLimit = uint64_t{1} << 31;
  const bool in_range = value.is_number_unsigned() ? value.get<uint64_t>() < kLimit
                                                   : value.get<int64_t>() >= 0 && value.get<int64_t>() < int64_t{kLimit};
  TORCH_CHECK(in_range, "BpeTokenizer: ", where, ": token id ", value.dump(), " is outside [0, 2^31)");
  return static_cast<int32_t>(value.get<int64_t>());
}

}  // namespace grpo::detail
