#pragma once
// The decoder of tokenizer.json ("decoder"): none or ByteLevel.

#include "tokenizer/json_fields.h"

#include <string>

namespace grpo::detail {

class Decoder {
 public:
  /// The decoder of `j` (null: none). `path` names tokenizer.json in errors.
  /// @throws c10::Error for a type other than ByteLevel.
  static Decoder from_json(const TokenizerJson& j, const std::string& path);

  /// The bytes a token stands for: under ByteLevel its characters mapped back to bytes,
  /// without a decoder the token itself.
  std::string token_bytes(const std::string& token) const;

  /// Appends the bytes of one token (from token_bytes()) to the text decoded so far: joined
  /// directly under ByteLevel, with a space between tokens without a decoder.
  void append(std::string& text, const std::string& bytes, bool first) const;

 private:
  bool byte_level_ = false;
};

}  // namespace grpo::detail
