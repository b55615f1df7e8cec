#pragma once
// The Jinja evaluator: renders a parsed template with a context of variables.

#include "tokenizer/jinja/ast.h"

#include <grpo/tokenizer/jinja.h>

#include <string>

namespace grpo::detail {

/// A parsed template (the syntax tree of JinjaTemplate).
struct JinjaProgram {
  jinja::Body body;
};

namespace jinja {

/// The text of `program` with the keys of `context` (a dict) as variables.
/// @throws Error at the position of the failing expression or statement.
std::string render(const JinjaProgram& program, const Value& context, const JinjaLimits& limits);

}  // namespace jinja
}  // namespace grpo::detail
