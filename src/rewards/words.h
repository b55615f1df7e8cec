#pragma once
// Words of a completion as the text rewards count them (Python's `text.lower().split()`).

#include <string>
#include <vector>

namespace grpo::detail {

/// Words of `text` split on whitespace as Python's `text.lower().split()` (simple case mapping);
/// each byte of invalid UTF-8 counts as one U+FFFD.
std::vector<std::u32string> lower_words(const std::string& text);

}  // namespace grpo::detail
