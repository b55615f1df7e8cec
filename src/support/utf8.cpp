#include "support/utf8.h"

#include <utf8proc.h>

namespace grpo::detail {

size_t utf8_decode_at(std::string_view text, size_t i, char32_t& code_point) {
  utf8proc_int32_t code = 0;
  const utf8proc_ssize_t length =
      utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                       static_cast<utf8proc_ssize_t>(text.size() - i), &code);
  if (length <= 0) return 0;
  code_point = static_cast<char32_t>(code);
  return static_cast<size_t>(length);
}

std::optional<char32_t> utf8_char_at(std::string_view text, size_t i) {
  char32_t code_point = 0;
  if (utf8_decode_at(text, i, code_point) == 0) return std::nullopt;
  return code_point;
}

std::optional<char32_t> utf8_char_before(std::string_view text, size_t end) {
  // The nearest position before `end` where a valid sequence starts decides: a sequence that
  // ends exactly at `end`, or none.
  for (size_t back = 1; back <= 4 && back <= end; ++back) {
    char32_t code_point = 0;
    const size_t n = utf8_decode_at(text, end - back, code_point);
    if (n != 0) {
      if (n == back) return code_point;
      return std::nullopt;
    }
  }
  return std::nullopt;
}

void append_utf8(std::string& out, char32_t code_point) {
  utf8proc_uint8_t bytes[4];
  const utf8proc_ssize_t length = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), bytes);
  out.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
}

std::u32string decode_utf8(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char32_t code_point = 0;
    const size_t length = utf8_decode_at(text, i, code_point);
    if (length == 0) {
      out.push_back(U'\uFFFD');
      ++i;
    } else {
      out.push_back(code_point);
      i += length;
    }
  }
  return out;
}

}  // namespace grpo::detail
