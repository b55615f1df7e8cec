#pragma once
// Pieces of Hugging Face model directories shared by the config mapping (hf_config.cpp), the
// weight loading (weights.cpp) and the directory handling (pretrained.cpp).

#include <c10/core/ScalarType.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo::detail {

/// `text` parsed as a JSON object.
/// @throws c10::Error naming `source` for invalid JSON or a value that is not an object.
nlohmann::json parse_hf_json_object(const std::string& text, const std::string& source);

/// The name config.json gives `type` (float32, bfloat16, float16), or nullptr for other dtypes.
const char* hf_dtype_name(c10::ScalarType type);

/// j[key] as a list of token ids: an integer or a list of integers (eos_token_id); empty when
/// missing or null.
/// @throws c10::Error naming `source` and `key` for anything else.
std::vector<int64_t> hf_token_id_list(const nlohmann::json& j, const std::string& source, const char* key);

}  // namespace grpo::detail
