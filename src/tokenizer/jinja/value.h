#pragma once
// Values of the Jinja interpreter: Python's None, bool, int, float, str, list, tuple and dict,
// jinja2's Undefined, namespaces and callables, with Python's semantics for str(), repr(),
// truthiness, equality, ordering and json.dumps.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace grpo::detail::jinja {

/// A runtime or syntax error at a position (line and column 0 when unknown yet).
struct Error {
  std::string message;
  int64_t line = 0;
  int64_t column = 0;
  bool raised = false;  // raise_exception() in the template
};

[[noreturn]] void fail(const std::string& message);

struct Value;
using List = std::vector<Value>;
struct Dict;
struct Callable;

enum class Type { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kTuple, kDict, kNamespace, kCallable };

struct Value {
  Type type = Type::kUndefined;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;  // kString; kUndefined: the name that was looked up (for error messages)
  std::shared_ptr<const List> list;      // kList, kTuple
  std::shared_ptr<Dict> dict;            // kDict (shared, never mutated once built), kNamespace (mutable)
  std::shared_ptr<const Callable> call;  // kCallable

  Value() = default;
  static Value undefined(std::string hint = "") {
    Value v;
    v.s = std::move(hint);
    return v;
  }
  static Value none() { Value v; v.type = Type::kNone; return v; }
  static Value boolean(bool x) { Value v; v.type = Type::kBool; v.b = x; return v; }
  static Value integer(int64_t x) { Value v; v.type = Type::kInt; v.i = x; return v; }
  static Value number(double x) { Value v; v.type = Type::kFloat; v.f = x; return v; }
  static Value string(std::string x) { Value v; v.type = Type::kString; v.s = std::move(x); return v; }
  static Value make_list(List items, bool tuple = false);
  static Value make_dict(std::shared_ptr<Dict> d);
  static Value make_namespace(std::shared_ptr<Dict> d);
  static Value function(std::string name, std::function<Value(struct Args&)> fn);

  bool is_undefined() const { return type == Type::kUndefined; }
  bool is_none() const { return type == Type::kNone; }
  bool is_string() const { return type == Type::kString; }
  bool is_int() const { return type == Type::kInt || type == Type::kBool; }
  bool is_number() const { return type == Type::kInt || type == Type::kBool || type == Type::kFloat; }
  bool is_sequence() const { return type == Type::kList || type == Type::kTuple; }
  bool is_mapping() const { return type == Type::kDict; }
  double as_double() const { return type == Type::kFloat ? f : static_cast<double>(type == Type::kBool ? b : i); }
  int64_t as_int() const { return type == Type::kBool ? (b ? 1 : 0) : i; }
};

/// A dict in insertion order (Python's dict); lookups are linear, dicts in templates are small.
struct Dict {
  std::vector<std::pair<Value, Value>> items;
  const Value* find(const Value& key) const;
  void set(const Value& key, Value value);
};

/// The arguments of a call: positional, then keyword in order.
struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  /// The argument `name` at `position` (or given by keyword), else `fallback`.
  Value get(size_t position, const std::string& name, Value fallback = Value()) const;
  bool has(size_t position, const std::string& name) const;
};

struct Callable {
  std::string name;
  std::function<Value(Args&)> fn;
};

/// jinja2's name of a value's type in messages ("str", "dict", "undefined"...).
const char* type_name(const Value& v);

/// Python's truthiness (Undefined is false).
bool truthy(const Value& v);
/// Python's str(): what `{{ v }}` prints (Undefined prints nothing).
std::string to_str(const Value& v);
/// Python's repr().
std::string to_repr(const Value& v);
/// Python's float repr (shortest round-trip, "1.0", "1e+16", "inf", "nan").
std::string float_repr(double x);
/// Python's ==, for any two values (Undefined equals only Undefined).
bool equals(const Value& a, const Value& b);
/// Python's <; throws a type error for values that do not order.
bool less(const Value& a, const Value& b);

/// json.dumps options, as transformers' tojson filter passes them.
struct JsonOptions {
  bool ensure_ascii = false;
  bool indent_set = false;
  std::string indent;  // the indent string (an int n means n spaces)
  std::string item_separator = ", ";
  std::string key_separator = ": ";
  bool sort_keys = false;
};
/// Python's json.dumps(v, ...); throws for values JSON cannot hold (Undefined, callables).
std::string to_json(const Value& v, const JsonOptions& options);

/// A value from JSON text (objects keep their order); throws a message on malformed JSON.
Value from_json_text(const std::string& text);

// UTF-8 helpers (code points; invalid bytes decode as U+FFFD-like single bytes kept verbatim).
std::u32string decode_utf8(const std::string& text);
std::string encode_utf8(const std::u32string& text);
void append_utf8(std::string& out, char32_t cp);
/// Python's str.isspace() for one code point.
bool is_space(char32_t cp);
char32_t to_upper(char32_t cp);
char32_t to_lower(char32_t cp);
bool is_alnum(char32_t cp);
bool is_cased_letter(char32_t cp);
/// Python's str.isprintable() for one code point (approximate outside common scripts).
bool is_printable(char32_t cp);

}  // namespace grpo::detail::jinja
