#include "tokenizer/decoders.h"

#include "tokenizer/byte_level.h"

namespace grpo::detail {

Decoder Decoder::from_json(const TokenizerJson& j, const std::string& path) {
  Decoder decoder;
  if (j.is_null()) return decoder;
  const std::string type = type_of(j);
  TORCH_CHECK(type == "ByteLevel", "BpeTokenizer: ", path, ": unsupported decoder type \"", type,
              "\" (supported: ByteLevel)");
  decoder.byte_level_ = true;
  return decoder;
}

std::string Decoder::token_bytes(const std::string& token) const {
  return byte_level_ ? byte_level_decode(token) : token;
}

void Decoder::append(std::string& text, const std::string& bytes, bool first) const {
  if (!byte_level_ && !first) text += ' ';
  text += bytes;
}

}  // namespace grpo::detail
