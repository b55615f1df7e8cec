#pragma once
/// @file A Jinja interpreter for chat templates: the language subset that Hugging Face chat
/// templates use, rendered as transformers renders them (jinja2's ImmutableSandboxedEnvironment
/// with trim_blocks, lstrip_blocks and the loopcontrols extension, transformers' `tojson`,
/// `raise_exception`, `strftime_now` and `{% generation %}`). docs/tokenizer.md lists what is
/// supported and the parity with transformers per template.

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace grpo {

/// A template that cannot be parsed or rendered. what() reads
/// "<template name>:<line>:<column>: <message>"; a template's own `raise_exception(message)`
/// reads "<name>:<line>:<column>: raise_exception: <message>".
class JinjaError : public std::runtime_error {
 public:
  JinjaError(const std::string& what, int64_t line, int64_t column, bool raised_by_template)
      : std::runtime_error(what), line_(line), column_(column), raised_(raised_by_template) {}
  /// 1-based line of the offending token or statement in the template (0 when unknown).
  int64_t line() const { return line_; }
  /// 1-based column (in bytes) of the offending token or statement (0 when unknown).
  int64_t column() const { return column_; }
  /// Whether the template itself raised it with `raise_exception(...)`.
  bool raised_by_template() const { return raised_; }

 private:
  int64_t line_;
  int64_t column_;
  bool raised_;
};

/// Bounds on one rendering, so that a hostile template can neither hang nor exhaust memory.
struct JinjaLimits {
  /// Largest output, and largest string or list built along the way, in bytes (elements).
  int64_t max_output_bytes = 64 << 20;
  /// Most loop iterations (all loops together) and most items range() may produce.
  int64_t max_loop_iterations = 1 << 22;
  /// Deepest nesting of macro calls, and of expressions and statements in the parser.
  int64_t max_depth = 200;
};

namespace detail {
struct JinjaProgram;
}

/// A parsed Jinja template.
class JinjaTemplate {
 public:
  /// Parses `source`; `name` (a file name) prefixes error messages.
  /// @throws JinjaError at the line and column of a syntax error.
  JinjaTemplate(const std::string& source, std::string name = "<template>", JinjaLimits limits = {});
  ~JinjaTemplate();
  JinjaTemplate(const JinjaTemplate&);
  JinjaTemplate& operator=(const JinjaTemplate&);

  /// The text of the template with `context_json` (a JSON object: its keys are the variables,
  /// in order, e.g. {"messages": [...], "add_generation_prompt": true, "bos_token": "<s>"})
  /// as its variables.
  /// @throws JinjaError for a context that is not a JSON object, for a runtime error (undefined
  ///   attribute of an undefined value, type error, `raise_exception`, a limit passed), naming
  ///   the line and column.
  std::string render(const std::string& context_json) const;

  const std::string& name() const { return name_; }

 private:
  std::string name_;
  JinjaLimits limits_;
  std::shared_ptr<const detail::JinjaProgram> program_;
};

}  // namespace grpo
