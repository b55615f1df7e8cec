// JinjaTemplate: the public face of the interpreter under src/tokenizer/jinja/ (lexer, parser,
// values, evaluator, builtins, filters, text).
#include <grpo/tokenizer/jinja.h>

#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/parser.h"

namespace grpo {
namespace {

JinjaError to_public(const detail::jinja::Error& e, const std::string& name) {
  std::string what = name + ":" + std::to_string(e.line) + ":" + std::to_string(e.column) + ": ";
  if (e.raised) what += "raise_exception: ";
  return JinjaError(what + e.message, e.line, e.column, e.raised);
}

}  // namespace

JinjaTemplate::JinjaTemplate(const std::string& source, std::string name, JinjaLimits limits)
    : name_(std::move(name)), limits_(limits) {
  try {
    auto program = std::make_shared<detail::JinjaProgram>();
    program->body = detail::jinja::parse(detail::jinja::tokenize(source), limits_.max_depth);
    program_ = std::move(program);
  } catch (const detail::jinja::Error& e) {
    throw to_public(e, name_);
  }
}

JinjaTemplate::~JinjaTemplate() = default;
JinjaTemplate::JinjaTemplate(const JinjaTemplate&) = default;
JinjaTemplate& JinjaTemplate::operator=(const JinjaTemplate&) = default;

std::string JinjaTemplate::render(const std::string& context_json) const {
  try {
    const detail::jinja::Value context = detail::jinja::from_json_text(context_json);
    if (context.type != detail::jinja::Type::kDict) detail::jinja::fail("the context must be a JSON object");
    return detail::jinja::render(*program_, context, limits_);
  } catch (const detail::jinja::Error& e) {
    throw to_public(e, name_);
  }
}

}  // namespace grpo
