#include "rewards/words.h"

#include "support/text.h"
#include "support/utf8.h"

#include <utf8proc.h>

namespace grpo::detail {

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
