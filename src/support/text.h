#pragma once
// Text helpers of the library: Python's whitespace, substring replacement, whole-file reads.

#include <string>

namespace grpo::detail {

/// Whether `c` is whitespace for Python's str.isspace() (so for str.split() and str.strip()
/// without arguments): Unicode general category Zs, Zl or Zp, or bidirectional class B, S or
/// WS, which adds U+0009..U+000D, U+001C..U+001F and U+0085.
bool is_python_space(char32_t c);

/// Whether `c` has the Unicode White_Space property (PropList.txt): what `\s` matches in the
/// regex engines of Rust and Oniguruma. Python's str.isspace() adds U+001C..U+001F.
bool is_unicode_white_space(char32_t c);

/// Replaces every occurrence of `from` (not empty) in `text` by `to`, left to right; the
/// replacement text is not searched again.
void replace_all(std::string& text, const std::string& from, const std::string& to);

/// The bytes of the file at `path`.
/// @throws c10::Error "`who`: cannot open `path`" (without the prefix when `who` is empty)
///   if the file cannot be opened or read.
std::string read_text_file(const std::string& path, const std::string& who = "");

}  // namespace grpo::detail
