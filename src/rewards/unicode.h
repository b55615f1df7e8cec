#pragma once
// UTF-8 decoding and character classes shared by the text rewards (utf8proc underneath).

#include <string>
#include <vector>

namespace grpo::detail {

/// Code points of `text`; each byte of an invalid UTF-8 sequence becomes U+FFFD.
std::u32string decode_utf8(const std::string& text);

/// Whether `c` is whitespace as Python's str.split() sees it.
bool is_python_space(char32_t c);

/// Words of `text` split on whitespace as Python's `text.lower().split()` (simple case mapping).
std::vector<std::u32string> lower_words(const std::string& text);

}  // namespace grpo::detail
