#pragma once
// The dtype names of the safetensors format.

#include <c10/core/ScalarType.h>

#include <optional>
#include <string>

namespace grpo {

struct SafetensorsDtype {
  const char* name;
  c10::ScalarType type;
};

inline constexpr SafetensorsDtype kSafetensorsDtypes[] = {
    {"F64", c10::kDouble}, {"F32", c10::kFloat}, {"F16", c10::kHalf}, {"BF16", c10::kBFloat16}, {"I64", c10::kLong},
    {"I32", c10::kInt},    {"I16", c10::kShort}, {"I8", c10::kChar},  {"U8", c10::kByte},       {"BOOL", c10::kBool},
};

/// The dtype of a header's `dtype` string, if supported.
inline std::optional<c10::ScalarType> safetensors_dtype(const std::string& name) {
  for (const auto& d : kSafetensorsDtypes) {
    if (name == d.name) return d.type;
  }
  return std::nullopt;
}

/// The header string of a dtype, or null if the format has none we support.
inline const char* safetensors_dtype_name(c10::ScalarType type) {
  for (const auto& d : kSafetensorsDtypes) {
    if (d.type == type) return d.name;
  }
  return nullptr;
}

}  // namespace grpo
