#pragma once
// The Jinja lexer: template text into data and tag tokens, with jinja2's whitespace control
// (`-` and `+` modifiers, trim_blocks and lstrip_blocks as transformers sets them, the final
// newline dropped, newlines normalised to \n) and `{% raw %}` blocks.

#include <cstdint>
#include <string>
#include <vector>

namespace grpo::detail::jinja {

struct Token {
  enum Kind { kData, kVariableBegin, kVariableEnd, kBlockBegin, kBlockEnd, kName, kString, kInteger, kFloat, kOperator, kEnd };
  Kind kind;
  std::string text;  // kString: the unescaped value; kInteger/kFloat: the digits without '_'
  int64_t line;
  int64_t column;
};

/// The tokens of `source`, ending with kEnd.
/// @throws Error at the position of an unterminated tag, string or comment, or an unknown character.
std::vector<Token> tokenize(const std::string& source);

}  // namespace grpo::detail::jinja
