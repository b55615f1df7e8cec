#pragma once
// The Jinja parser: tokens into a syntax tree, with jinja2's operator precedence.

#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/lexer.h"

namespace grpo::detail::jinja {

/// The statements of a whole template.
/// @throws Error at the offending token (unknown tag, unexpected token, unclosed block, nesting
///   deeper than `max_depth`).
Body parse(const std::vector<Token>& tokens, int64_t max_depth);

}  // namespace grpo::detail::jinja
