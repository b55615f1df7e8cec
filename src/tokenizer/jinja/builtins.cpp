// Operators, attribute and item access, and the methods of str, dict and list with Python's
// semantics (see builtins.h). Filters and tests are in filters.cpp.
#include "tokenizer/jinja/builtins.h"

#include "tokenizer/jinja/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>

namespace grpo::detail::jinja {

void Env::check_size(size_t size) const {
  if (static_cast<int64_t>(size) > limits->max_output_bytes) {
    fail("output or value larger than the limit of " + std::to_string(limits->max_output_bytes) + " bytes");
  }
}

void Env::count_iterations(int64_t n) {
  iterations += n;
  if (iterations > limits->max_loop_iterations) {
    fail("more than " + std::to_string(limits->max_loop_iterations) + " loop iterations");
  }
}

namespace {

[[noreturn]] void type_error(const std::string& op, const Value& a, const Value& b) {
  if (a.is_undefined() || b.is_undefined()) {
    const Value& u = a.is_undefined() ? a : b;
    fail("'" + (u.s.empty() ? std::string("value") : u.s) + "' is undefined");
  }
  fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

/// Throws on an overflow reported by a __builtin_*_overflow call (evaluated before this call,
/// so that its result is written before being read).
void check_overflow(bool overflow) {
  if (overflow) fail("integer overflow");
}

Value repeat(const Value& seq, int64_t times, Env& env) {
  if (times <= 0) return seq.is_string() ? Value::string("") : Value::make_list({}, seq.type == Type::kTuple);
  const size_t unit = seq.is_string() ? seq.s.size() : seq.list->size();
  if (unit && static_cast<uint64_t>(times) > static_cast<uint64_t>(env.limits->max_output_bytes) / unit + 1) {
    env.check_size(static_cast<size_t>(env.limits->max_output_bytes) + 1);
  }
  env.check_size(unit * static_cast<size_t>(times));
  if (seq.is_string()) {
    std::string out;
    out.reserve(unit * static_cast<size_t>(times));
    for (int64_t k = 0; k < times; ++k) out += seq.s;
    return Value::string(std::move(out));
  }
  List out;
  for (int64_t k = 0; k < times; ++k) out.insert(out.end(), seq.list->begin(), seq.list->end());
  return Value::make_list(std::move(out), seq.type == Type::kTuple);
}

double python_fmod(double a, double b) {
  double m = std::fmod(a, b);
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

}  // namespace

Value binary_op(const std::string& op, const Value& a, const Value& b, Env& env) {
  if (op == "~") {
    std::string out = to_str(a) + to_str(b);
    env.check_size(out.size());
    return Value::string(std::move(out));
  }
  const bool ints = a.is_int() && b.is_int();
  const bool nums = a.is_number() && b.is_number();
  if (op == "+") {
    if (ints) {
      int64_t r = 0;
      check_overflow(__builtin_add_overflow(a.as_int(), b.as_int(), &r));
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      env.check_size(a.s.size() + b.s.size());
      return Value::string(a.s + b.s);
    }
    if (a.is_sequence() && a.type == b.type) {
      env.check_size(a.list->size() + b.list->size());
      List out(*a.list);
      out.insert(out.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(out), a.type == Type::kTuple);
    }
    if (a.is_string()) {
      if (b.is_undefined()) type_error(op, a, b);
      fail(std::string("can only concatenate str (not \"") + type_name(b) + "\") to str");
    }
    type_error(op, a, b);
  }
  if (op == "-") {
    if (ints) {
      int64_t r = 0;
      check_overflow(__builtin_sub_overflow(a.as_int(), b.as_int(), &r));
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() - b.as_double());
    type_error(op, a, b);
  }
  if (op == "*") {
    if (ints) {
      int64_t r = 0;
      check_overflow(__builtin_mul_overflow(a.as_int(), b.as_int(), &r));
      return Value::integer(r);
    }
    if (nums) return Value::number(a.as_double() * b.as_double());
    if ((a.is_string() || a.is_sequence()) && b.is_int()) return repeat(a, b.as_int(), env);
    if ((b.is_string() || b.is_sequence()) && a.is_int()) return repeat(b, a.as_int(), env);
    type_error(op, a, b);
  }
  if (op == "/") {
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0) fail("division by zero");
    return Value::number(a.as_double() / b.as_double());
  }
  if (op == "//") {
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0) fail("integer division or modulo by zero");
    if (ints) {
      const int64_t x = a.as_int();
      const int64_t y = b.as_int();
      if (x == INT64_MIN && y == -1) fail("integer overflow");
      int64_t q = x / y;
      if ((x % y != 0) && ((x < 0) != (y < 0))) --q;
      return Value::integer(q);
    }
    return Value::number(std::floor(a.as_double() / b.as_double()));
  }
  if (op == "%") {
    if (a.is_string()) return Value::string(percent_format(a.s, b));
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0) fail("integer division or modulo by zero");
    if (ints) {
      const int64_t x = a.as_int();
      const int64_t y = b.as_int();
      if (y == -1) return Value::integer(0);
      int64_t m = x % y;
      if (m != 0 && ((m < 0) != (y < 0))) m += y;
      return Value::integer(m);
    }
    return Value::number(python_fmod(a.as_double(), b.as_double()));
  }
  if (op == "**") {
    if (!nums) type_error(op, a, b);
    if (ints && b.as_int() >= 0) {
      int64_t result = 1;
      int64_t base = a.as_int();
      int64_t e = b.as_int();
      while (e > 0) {
        if (e & 1) check_overflow(__builtin_mul_overflow(result, base, &result));
        e >>= 1;
        if (e) check_overflow(__builtin_mul_overflow(base, base, &base));
      }
      return Value::integer(result);
    }
    if (a.as_double() == 0 && b.as_double() < 0) fail("0.0 cannot be raised to a negative power");
    return Value::number(std::pow(a.as_double(), b.as_double()));
  }
  fail("unknown operator " + op);
}

bool contains(const Value& container, const Value& item) {
  switch (container.type) {
    case Type::kString:
      if (!item.is_string()) fail(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
      return container.s.find(item.s) != std::string::npos;
    case Type::kList:
    case Type::kTuple:
      for (const auto& v : *container.list) {
        if (equals(v, item)) return true;
      }
      return false;
    case Type::kDict:
      if (item.is_sequence() && item.type == Type::kList) fail("unhashable type: 'list'");
      if (item.type == Type::kDict) fail("unhashable type: 'dict'");
      return container.dict->find(item) != nullptr;
    case Type::kUndefined: return false;
    default: fail(std::string("argument of type '") + type_name(container) + "' is not iterable");
  }
}

std::vector<Value> iterate(const Value& v) {
  switch (v.type) {
    case Type::kList:
    case Type::kTuple: return *v.list;
    case Type::kString: {
      std::vector<Value> out;
      for (char32_t cp : decode_utf8(v.s)) {
        std::string c;
        append_utf8(c, cp);
        out.push_back(Value::string(std::move(c)));
      }
      return out;
    }
    case Type::kDict: {
      std::vector<Value> out;
      for (const auto& item : v.dict->items) out.push_back(item.first);
      return out;
    }
    case Type::kUndefined: return {};
    default: fail(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

// ---- methods ----------------------------------------------------------------------------------

namespace {

Value method(const Value& self, const std::string& name, Value (*fn)(const Value&, const std::string&, Args&)) {
  return Value::function(name, [self, name, fn](Args& args) { return fn(self, name, args); });
}

std::string arg_str(const Args& args, size_t position, const std::string& name, const std::string& method) {
  const Value v = args.get(position, name);
  if (!v.is_string()) fail(method + "() argument " + name + " must be str, not " + type_name(v));
  return v.s;
}

Value str_method(const Value& self, const std::string& name, Args& args) {
  const std::string& s = self.s;
  if (name == "startswith" || name == "endswith") {
    const Value prefix = args.get(0, "prefix");
    std::vector<std::string> options;
    if (prefix.is_string()) {
      options.push_back(prefix.s);
    } else if (prefix.is_sequence()) {
      for (const auto& p : *prefix.list) {
        if (!p.is_string()) fail(name + " first arg must be str or a tuple of str");
        options.push_back(p.s);
      }
    } else {
      fail(name + " first arg must be str or a tuple of str, not " + type_name(prefix));
    }
    std::string text = s;
    if (args.positional.size() > 1) text = to_str(slice(self, args.positional[1], args.positional.size() > 2 ? args.positional[2] : Value(), Value()));
    for (const auto& o : options) {
      if (o.size() > text.size()) continue;
      if (name == "startswith" ? text.compare(0, o.size(), o) == 0 : text.compare(text.size() - o.size(), o.size(), o) == 0) {
        return Value::boolean(true);
      }
    }
    return Value::boolean(false);
  }
  if (name == "split" || name == "rsplit") {
    const Value sep = args.get(0, "sep", Value::none());
    const Value maxsplit = args.get(1, "maxsplit", Value::integer(-1));
    if (!maxsplit.is_int()) fail("maxsplit must be an integer");
    if (!sep.is_none() && !sep.is_string()) fail(std::string("must be str or None, not ") + type_name(sep));
    List out;
    for (auto& part : python_split(s, sep.is_none() ? nullptr : &sep.s, maxsplit.as_int(), name == "rsplit")) {
      out.push_back(Value::string(std::move(part)));
    }
    return Value::make_list(std::move(out));
  }
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const Value chars = args.get(0, "chars", Value::none());
    if (!chars.is_none() && !chars.is_string()) fail(name + " arg must be None or str");
    return Value::string(python_strip(s, chars.is_none() ? nullptr : &chars.s, name != "rstrip", name != "lstrip"));
  }
  if (name == "upper") return Value::string(upper(s));
  if (name == "lower" || name == "casefold") return Value::string(lower(s));
  if (name == "title") return Value::string(python_title(s));
  if (name == "capitalize") return Value::string(capitalize(s));
  if (name == "swapcase") {
    std::u32string cps = decode_utf8(s);
    for (auto& c : cps) c = to_upper(c) != c ? to_upper(c) : to_lower(c);
    return Value::string(encode_utf8(cps));
  }
  if (name == "replace") {
    const Value count = args.get(2, "count", Value::integer(-1));
    return Value::string(python_replace(s, arg_str(args, 0, "old", name), arg_str(args, 1, "new", name), count.is_int() ? count.as_int() : -1));
  }
  if (name == "find" || name == "rfind" || name == "index" || name == "rindex" || name == "count") {
    const std::string sub = arg_str(args, 0, "sub", name);
    const std::u32string hay = decode_utf8(s);
    const std::u32string needle = decode_utf8(sub);
    if (name == "count") {
      if (needle.empty()) return Value::integer(static_cast<int64_t>(hay.size()) + 1);
      int64_t n = 0;
      for (size_t at = hay.find(needle); at != std::u32string::npos; at = hay.find(needle, at + needle.size())) ++n;
      return Value::integer(n);
    }
    const size_t at = name[0] == 'r' ? hay.rfind(needle) : hay.find(needle);
    if (at == std::u32string::npos) {
      if (name == "index" || name == "rindex") fail("substring not found");
      return Value::integer(-1);
    }
    return Value::integer(static_cast<int64_t>(at));
  }
  if (name == "splitlines") {
    List out;
    for (auto& line : python_splitlines(s, truthy(args.get(0, "keepends", Value::boolean(false))))) out.push_back(Value::string(std::move(line)));
    return Value::make_list(std::move(out));
  }
  if (name == "format") return Value::string(brace_format(s, args));
  if (name == "join") {
    std::string out;
    bool first = true;
    for (const auto& item : iterate(args.get(0, "iterable"))) {
      if (!item.is_string()) fail(std::string("sequence item: expected str instance, ") + type_name(item) + " found");
      if (!first) out += s;
      first = false;
      out += item.s;
    }
    return Value::string(std::move(out));
  }
  if (name == "isdigit" || name == "isnumeric" || name == "isdecimal" || name == "isalpha" || name == "isalnum" ||
      name == "isspace" || name == "isupper" || name == "islower") {
    const std::u32string cps = decode_utf8(s);
    if (cps.empty()) return Value::boolean(false);
    bool cased = false;
    for (char32_t c : cps) {
      const bool digit = c >= '0' && c <= '9';
      if (name == "isdigit" || name == "isnumeric" || name == "isdecimal") {
        if (!digit) return Value::boolean(false);
      } else if (name == "isalpha") {
        if (!is_alnum(c) || digit) return Value::boolean(false);
      } else if (name == "isalnum") {
        if (!is_alnum(c)) return Value::boolean(false);
      } else if (name == "isspace") {
        if (!is_space(c)) return Value::boolean(false);
      } else if (name == "isupper") {
        if (to_lower(c) != c && to_upper(c) == c) cased = true;
        if (to_upper(c) != c) return Value::boolean(false);
      } else {
        if (to_upper(c) != c && to_lower(c) == c) cased = true;
        if (to_lower(c) != c) return Value::boolean(false);
      }
    }
    return Value::boolean(name == "isupper" || name == "islower" ? cased : true);
  }
  if (name == "center" || name == "ljust" || name == "rjust") {
    const Value width = args.get(0, "width");
    if (!width.is_int()) fail(name + "() width must be an integer");
    const std::string fill = args.has(1, "fillchar") ? arg_str(args, 1, "fillchar", name) : " ";
    return Value::string(pad(s, width.as_int(), fill, name == "center" ? 'c' : name == "ljust" ? 'l' : 'r'));
  }
  if (name == "zfill") {
    const Value width = args.get(0, "width");
    if (!width.is_int()) fail("zfill() width must be an integer");
    const std::u32string cps = decode_utf8(s);
    if (width.as_int() <= static_cast<int64_t>(cps.size())) return self;
    const size_t fill = static_cast<size_t>(width.as_int()) - cps.size();
    if (!cps.empty() && (cps[0] == '+' || cps[0] == '-')) return Value::string(s.substr(0, 1) + std::string(fill, '0') + s.substr(1));
    return Value::string(std::string(fill, '0') + s);
  }
  if (name == "removeprefix" || name == "removesuffix") {
    const std::string affix = arg_str(args, 0, name == "removeprefix" ? "prefix" : "suffix", name);
    if (name == "removeprefix" && s.compare(0, affix.size(), affix) == 0) return Value::string(s.substr(affix.size()));
    if (name == "removesuffix" && !affix.empty() && s.size() >= affix.size() &&
        s.compare(s.size() - affix.size(), affix.size(), affix) == 0) {
      return Value::string(s.substr(0, s.size() - affix.size()));
    }
    return self;
  }
  if (name == "partition" || name == "rpartition") {
    const std::string sep = arg_str(args, 0, "sep", name);
    if (sep.empty()) fail("empty separator");
    const size_t at = name == "partition" ? s.find(sep) : s.rfind(sep);
    if (at == std::string::npos) {
      return name == "partition" ? Value::make_list({self, Value::string(""), Value::string("")}, true)
                                 : Value::make_list({Value::string(""), Value::string(""), self}, true);
    }
    return Value::make_list({Value::string(s.substr(0, at)), Value::string(sep), Value::string(s.substr(at + sep.size()))}, true);
  }
  fail("str." + name + "() is not supported by this interpreter");
}

const char* const kStrMethods[] = {
    "capitalize", "casefold",   "center",    "count",     "encode",     "endswith",     "expandtabs", "find",
    "format",     "format_map", "index",     "isalnum",   "isalpha",    "isascii",      "isdecimal",  "isdigit",
    "isidentifier", "islower",  "isnumeric", "isprintable", "isspace",  "istitle",      "isupper",    "join",
    "ljust",      "lower",      "lstrip",    "maketrans", "partition",  "removeprefix", "removesuffix", "replace",
    "rfind",      "rindex",     "rjust",     "rpartition", "rsplit",    "rstrip",       "split",      "splitlines",
    "startswith", "strip",      "swapcase",  "title",     "translate",  "upper",        "zfill"};

Value dict_method(const Value& self, const std::string& name, Args& args) {
  if (name == "items") {
    List out;
    for (const auto& item : self.dict->items) out.push_back(Value::make_list({item.first, item.second}, true));
    return Value::make_list(std::move(out));
  }
  if (name == "keys" || name == "values") {
    List out;
    for (const auto& item : self.dict->items) out.push_back(name == "keys" ? item.first : item.second);
    return Value::make_list(std::move(out));
  }
  if (name == "get") {
    const Value* v = self.dict->find(args.get(0, "key"));
    return v ? *v : args.get(1, "default", Value::none());
  }
  if (name == "copy") return Value::make_dict(std::make_shared<Dict>(*self.dict));
  fail("dict." + name + "() is not supported");
}

Value list_method(const Value& self, const std::string& name, Args& args) {
  const Value x = args.get(0, "value");
  if (name == "count") {
    int64_t n = 0;
    for (const auto& v : *self.list) n += equals(v, x) ? 1 : 0;
    return Value::integer(n);
  }
  if (name == "index") {
    for (size_t k = 0; k < self.list->size(); ++k) {
      if (equals((*self.list)[k], x)) return Value::integer(static_cast<int64_t>(k));
    }
    fail(to_repr(x) + " is not in list");
  }
  if (name == "copy") return Value::make_list(*self.list);
  fail("list." + name + "() is not supported");
}

}  // namespace

Value get_attr(const Value& object, const std::string& name) {
  switch (object.type) {
    case Type::kString:
      for (const char* m : kStrMethods) {
        if (name == m) return method(object, name, &str_method);
      }
      return Value::undefined(name);
    case Type::kDict: {
      if (name == "items" || name == "keys" || name == "values" || name == "get" || name == "copy") {
        return method(object, name, &dict_method);
      }
      if (name == "pop" || name == "popitem" || name == "setdefault" || name == "update" || name == "clear" || name == "fromkeys") {
        return Value::undefined(name);  // unsafe in the immutable sandbox
      }
      const Value* v = object.dict->find(Value::string(name));
      return v ? *v : Value::undefined(name);
    }
    case Type::kNamespace: {
      const Value* v = object.dict->find(Value::string(name));
      return v ? *v : Value::undefined(name);
    }
    case Type::kList:
    case Type::kTuple:
      if (name == "count" || name == "index" || (name == "copy" && object.type == Type::kList)) return method(object, name, &list_method);
      return Value::undefined(name);
    default: return Value::undefined(name);
  }
}

Value get_item(const Value& object, const Value& key) {
  switch (object.type) {
    case Type::kDict:
    case Type::kNamespace: {
      const Value* v = object.dict->find(key);
      if (v) return *v;
      break;
    }
    case Type::kList:
    case Type::kTuple:
    case Type::kString: {
      if (key.is_int()) {
        int64_t index = key.as_int();
        if (object.is_string()) {
          const std::u32string cps = decode_utf8(object.s);
          const auto n = static_cast<int64_t>(cps.size());
          if (index < 0) index += n;
          if (index < 0 || index >= n) return Value::undefined();
          std::string c;
          append_utf8(c, cps[static_cast<size_t>(index)]);
          return Value::string(std::move(c));
        }
        const auto n = static_cast<int64_t>(object.list->size());
        if (index < 0) index += n;
        if (index < 0 || index >= n) return Value::undefined();
        return (*object.list)[static_cast<size_t>(index)];
      }
      break;
    }
    default: break;
  }
  if (key.is_string()) return get_attr(object, key.s);
  return Value::undefined();
}

Value slice(const Value& object, const Value& start_v, const Value& stop_v, const Value& step_v) {
  auto as_index = [](const Value& v, const char* what) -> std::pair<bool, int64_t> {
    if (v.is_undefined() || v.is_none()) return {false, 0};
    if (!v.is_int()) fail(std::string("slice ") + what + " must be an integer or None");
    return {true, v.as_int()};
  };
  const auto start = as_index(start_v, "start");
  const auto stop = as_index(stop_v, "stop");
  const auto step_given = as_index(step_v, "step");
  const int64_t step = step_given.first ? step_given.second : 1;
  if (step == 0) fail("slice step cannot be zero");
  std::u32string cps;
  int64_t n;
  if (object.is_string()) {
    cps = decode_utf8(object.s);
    n = static_cast<int64_t>(cps.size());
  } else if (object.is_sequence()) {
    n = static_cast<int64_t>(object.list->size());
  } else {
    // A slice is Python's own subscript in jinja2's compiled code, not its forgiving getitem.
    fail(std::string("'") + type_name(object) + "' object is not subscriptable");
  }
  const int64_t lower = step > 0 ? 0 : -1;
  const int64_t upper = step > 0 ? n : n - 1;
  auto clamp = [&](std::pair<bool, int64_t> v, int64_t fallback) {
    if (!v.first) return fallback;
    int64_t x = v.second;
    if (x < 0) return std::max(x + n, lower);
    return std::min(x, upper);
  };
  const int64_t from = clamp(start, step > 0 ? lower : upper);
  const int64_t to = clamp(stop, step > 0 ? upper : lower);
  if (object.is_string()) {
    std::string out;
    for (int64_t k = from; step > 0 ? k < to : k > to; k += step) append_utf8(out, cps[static_cast<size_t>(k)]);
    return Value::string(std::move(out));
  }
  List out;
  for (int64_t k = from; step > 0 ? k < to : k > to; k += step) out.push_back((*object.list)[static_cast<size_t>(k)]);
  return Value::make_list(std::move(out), object.type == Type::kTuple);
}

// ---- globals ----------------------------------------------------------------------------------

namespace {

std::shared_ptr<Dict> dict_from_args(Args& args, const char* what) {
  auto d = std::make_shared<Dict>();
  if (args.positional.size() > 1) fail(std::string(what) + " expected at most 1 positional argument");
  if (!args.positional.empty()) {
    const Value& source = args.positional[0];
    if (source.type == Type::kDict || source.type == Type::kNamespace) {
      *d = *source.dict;
    } else {
      for (const auto& pair : iterate(source)) {
        const std::vector<Value> kv = iterate(pair);
        if (kv.size() != 2) fail(std::string(what) + ": each element must be a pair");
        d->set(kv[0], kv[1]);
      }
    }
  }
  for (const auto& kw : args.keyword) d->set(Value::string(kw.first), kw.second);
  return d;
}

}  // namespace

Value global(const std::string& name, Env& env) {
  if (name == "range") {
    return Value::function("range", [&env](Args& args) {
      for (const auto& a : args.positional) {
        if (!a.is_int()) fail(std::string("'") + type_name(a) + "' object cannot be interpreted as an integer");
      }
      int64_t start = 0, stop = 0, step = 1;
      if (args.positional.size() == 1) {
        stop = args.positional[0].as_int();
      } else if (args.positional.size() >= 2) {
        start = args.positional[0].as_int();
        stop = args.positional[1].as_int();
        if (args.positional.size() >= 3) step = args.positional[2].as_int();
      } else {
        fail("range expected at least 1 argument, got 0");
      }
      if (step == 0) fail("range() arg 3 must not be zero");
      List out;
      for (int64_t k = start; step > 0 ? k < stop : k > stop; k += step) {
        env.count_iterations(1);
        out.push_back(Value::integer(k));
        if ((step > 0 && k > INT64_MAX - step) || (step < 0 && k < INT64_MIN - step)) break;
      }
      return Value::make_list(std::move(out));
    });
  }
  if (name == "namespace") {
    return Value::function("namespace", [](Args& args) {
      auto d = dict_from_args(args, "namespace");
      for (const auto& item : d->items) {
        if (item.first.is_string() && !item.first.s.empty() && item.first.s[0] == '_') {
          fail("chat templates cannot store underscore-prefixed attributes on a namespace, but got '" + item.first.s + "'");
        }
      }
      return Value::make_namespace(std::move(d));
    });
  }
  if (name == "dict") {
    return Value::function("dict", [](Args& args) { return Value::make_dict(dict_from_args(args, "dict")); });
  }
  if (name == "raise_exception") {
    return Value::function("raise_exception", [](Args& args) -> Value {
      throw Error{to_str(args.get(0, "message")), 0, 0, true};
    });
  }
  if (name == "strftime_now") {
    return Value::function("strftime_now", [](Args& args) {
      const Value format = args.get(0, "format");
      if (!format.is_string()) fail("strftime_now() argument must be str");
      const std::time_t now = std::time(nullptr);
      std::tm local{};
      localtime_r(&now, &local);
      std::string out(256 + format.s.size() * 8, '\0');
      const size_t n = format.s.empty() ? 0 : std::strftime(&out[0], out.size(), format.s.c_str(), &local);
      out.resize(n);
      return Value::string(std::move(out));
    });
  }
  if (name == "joiner") {
    return Value::function("joiner", [](Args& args) {
      const std::string sep = to_str(args.get(0, "sep", Value::string(", ")));
      auto used = std::make_shared<bool>(false);
      return Value::function("joiner", [sep, used](Args&) {
        if (!*used) {
          *used = true;
          return Value::string("");
        }
        return Value::string(sep);
      });
    });
  }
  return Value::undefined(name);
}

}  // namespace grpo::detail::jinja
