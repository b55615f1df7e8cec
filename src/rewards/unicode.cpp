#include "unicode.h"

#include <utf8proc.h>

namespace grpo::detail {

std::u32string decode_utf8(const std::string& text) {
  std::u32string out;
  out.reserve(text.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  utf8proc_ssize_t pos = 0;
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  while (pos < size) {
    utf8proc_int32_t code = 0;
    utf8proc_ssize_t length = utf8proc_iterate(bytes + pos, size - pos, &code);
    if (length <= 0) {
      out.push_back(U'\uFFFD');
      ++pos;
    } else {
      out.push_back(static_cast<char32_t>(code));
      pos += length;
    }
  }
  return out;
}

bool is_python_space(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F) || c == 0x85) return true;
  const auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_ZS || category == UTF8PROC_CATEGORY_ZL || category == UTF8PROC_CATEGORY_ZP;
}

std::vector<std::u32string> lower_words(const std::string& text) {
  std::vector<std::u32string> words;
  std::u32string word;
  for (char32_t c : decode_utf8(text)) {
    if (is_python_space(c)) {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))));
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace grpo::detail
