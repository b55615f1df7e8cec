#pragma once
// What the Jinja interpreter's values can do: operators, attribute and item access, the
// methods of str, dict and list, jinja2's filters and tests, and the globals transformers sets.

#include "tokenizer/jinja/value.h"

#include <grpo/tokenizer/jinja.h>

#include <string>
#include <vector>

namespace grpo::detail::jinja {

/// The state of one rendering that builtins need: limits and the loop-iteration count.
struct Env {
  const JinjaLimits* limits = nullptr;
  int64_t iterations = 0;
  /// Throws when a string or list of `size` bytes or items passes max_output_bytes.
  void check_size(size_t size) const;
  /// Counts `n` loop iterations (or produced items); throws past max_loop_iterations.
  void count_iterations(int64_t n);
};

/// Python's a <op> b for + - * / // % ** and Jinja's ~.
Value binary_op(const std::string& op, const Value& a, const Value& b, Env& env);
/// Python's `item in container`.
bool contains(const Value& container, const Value& item);
/// The items a for loop visits: list/tuple items, str characters, dict keys; Undefined: none.
std::vector<Value> iterate(const Value& v);
/// jinja2's sandboxed getattr (`a.name`): methods first for str/dict/list, then items.
Value get_attr(const Value& object, const std::string& name);
/// jinja2's getitem (`a[key]`): items first, then (for a str key) attributes.
Value get_item(const Value& object, const Value& key);
/// Python's object[start:stop:step] for str, list and tuple (null parts are Undefined).
Value slice(const Value& object, const Value& start, const Value& stop, const Value& step);
/// The filter `name` applied to `value`.
Value apply_filter(const std::string& name, const Value& value, Args& args, Env& env);
/// The test `name` on `value`.
bool apply_test(const std::string& name, const Value& value, Args& args, Env& env);
/// The global `name` (range, namespace, dict, raise_exception, strftime_now, cycler, joiner),
/// or Undefined.
Value global(const std::string& name, Env& env);

}  // namespace grpo::detail::jinja
