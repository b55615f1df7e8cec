#include "tokenizer/byte_level.h"

#include "support/utf8.h"

#include <array>
#include <cstdint>

namespace grpo::detail {
namespace {

struct ByteLevelAlphabet {
  std::array<std::string, 256> byte_to_utf8;
  std::array<int16_t, 512> code_point_to_byte;

  ByteLevelAlphabet() {
    code_point_to_byte.fill(-1);
    char32_t next = 256;
    for (char32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      const char32_t cp = printable ? b : next++;
      append_utf8(byte_to_utf8[b], cp);
      code_point_to_byte[cp] = static_cast<int16_t>(b);
    }
  }
};

const ByteLevelAlphabet& byte_level_alphabet() {
  static const ByteLevelAlphabet alphabet;
  return alphabet;
}

}  // namespace

void append_byte_level(std::string& out, std::string_view bytes) {
  const auto& alphabet = byte_level_alphabet();
  for (const char c : bytes) {
    out += alphabet.byte_to_utf8[static_cast<unsigned char>(c)];
  }
}

std::string byte_level_decode(const std::string& token) {
  const auto& alphabet = byte_level_alphabet();
  std::string bytes;
  size_t i = 0;
  while (i < token.size()) {
    char32_t cp = 0;
    const size_t n = utf8_decode_at(token, i, cp);
    if (n == 0) {
      return token;
    }
    if (cp >= alphabet.code_point_to_byte.size() || alphabet.code_point_to_byte[cp] < 0) {
      return token;
    }
    bytes += static_cast<char>(alphabet.code_point_to_byte[cp]);
    i += n;
  }
  return bytes;
}

}  // namespace grpo::detail
