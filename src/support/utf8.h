#pragma once
// UTF-8 of the library's text handling (tokenizers, rewards), on utf8proc.
//
// Valid UTF-8 is the well-formed UTF-8 of the Unicode Standard (Table 3-7): no overlong forms,
// no surrogates (U+D800..U+DFFF), nothing above U+10FFFF, no truncated sequences. This is what
// utf8proc_iterate() accepts, and what Python's bytes.decode("utf-8") and Rust's str accept.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace grpo::detail {

/// Length (1 to 4 bytes) of the valid UTF-8 sequence starting at text[i], storing its code
/// point in `code_point`; 0 (code_point untouched) when the bytes there are not valid UTF-8.
/// Requires i < text.size().
size_t utf8_decode_at(std::string_view text, size_t i, char32_t& code_point);

/// Length (1 to 4 bytes) of the valid UTF-8 sequence starting at text[i], or 0 when the bytes
/// there are not valid UTF-8. Requires i < text.size().
inline size_t utf8_length_at(std::string_view text, size_t i) {
  if (static_cast<unsigned char>(text[i]) < 0x80) return 1;
  char32_t unused = 0;
  return utf8_decode_at(text, i, unused);
}

/// The code point of the valid UTF-8 sequence starting at text[i], or nullopt when the bytes
/// there are not valid UTF-8. Requires i < text.size().
std::optional<char32_t> utf8_char_at(std::string_view text, size_t i);

/// The code point of the valid UTF-8 sequence that ends text[0, end), or nullopt when the
/// bytes before `end` do not end with one (end == 0, an invalid byte, or a sequence that
/// overlaps `end`).
std::optional<char32_t> utf8_char_before(std::string_view text, size_t end);

/// Appends the UTF-8 encoding (1 to 4 bytes) of `code_point` (at most U+10FFFF) to `out`.
void append_utf8(std::string& out, char32_t code_point);

/// Code points of `text`; each byte that does not start a valid sequence becomes one U+FFFD
/// REPLACEMENT CHARACTER (so "\xE2\x82" gives two).
std::u32string decode_utf8(std::string_view text);

/// Calls on_run(run, valid) for the maximal runs of valid UTF-8 and of invalid bytes that
/// make up `text`, in order.
template <class F>
void for_each_utf8_run(std::string_view text, F&& on_run) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t begin = i;
    const bool valid = utf8_length_at(text, i) != 0;
    while (i < text.size()) {
      const size_t n = utf8_length_at(text, i);
      if ((n != 0) != valid) break;
      i += valid ? n : 1;
    }
    on_run(text.substr(begin, i - begin), valid);
  }
}

}  // namespace grpo::detail
