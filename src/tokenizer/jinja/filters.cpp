// jinja2's built-in filters and tests, with transformers' tojson (json.dumps with
// ensure_ascii=False by default, indent, separators and sort_keys).
#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/text.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace grpo::detail::jinja {
namespace {

int64_t length_of(const Value& v) {
  switch (v.type) {
    case Type::kUndefined: return 0;
    case Type::kString: return static_cast<int64_t>(decode_utf8(v.s).size());
    case Type::kList:
    case Type::kTuple: return static_cast<int64_t>(v.list->size());
    case Type::kDict: return static_cast<int64_t>(v.dict->items.size());
    default: fail(std::string("object of type '") + type_name(v) + "' has no len()");
  }
}

/// jinja2's attribute getter for filters: "a.b.0" looks up each part with getitem.
Value attribute_of(const Value& item, const std::string& path) {
  Value v = item;
  size_t begin = 0;
  while (true) {
    const size_t dot = path.find('.', begin);
    const std::string part = path.substr(begin, dot == std::string::npos ? std::string::npos : dot - begin);
    const bool numeric = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
    v = get_item(v, numeric ? Value::integer(std::stoll(part)) : Value::string(part));
    if (dot == std::string::npos) return v;
    begin = dot + 1;
  }
}

Args rest_args(const Args& args, size_t from) {
  Args rest;
  for (size_t k = from; k < args.positional.size(); ++k) rest.positional.push_back(args.positional[k]);
  rest.keyword = args.keyword;
  return rest;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

/// The sort key of jinja2's sorting filters: lowercased strings unless case-sensitive.
Value sort_key(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(lower(v.s));
  return v;
}

std::vector<Value> sorted(std::vector<Value> items, bool reverse, bool case_sensitive, const std::string& attribute) {
  std::vector<std::pair<Value, Value>> keyed;
  for (auto& item : items) keyed.emplace_back(sort_key(attribute.empty() ? item : attribute_of(item, attribute), case_sensitive), item);
  std::stable_sort(keyed.begin(), keyed.end(), [reverse](const auto& a, const auto& b) {
    return reverse ? less(b.first, a.first) : less(a.first, b.first);
  });
  std::vector<Value> out;
  for (auto& k : keyed) out.push_back(std::move(k.second));
  return out;
}

Value python_round(double x, int64_t precision, const std::string& method) {
  const double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "ceil") return Value::number(std::ceil(x * scale) / scale);
  if (method == "floor") return Value::number(std::floor(x * scale) / scale);
  if (method != "common") fail("method must be 'common', 'ceil' or 'floor'");
  if (precision >= 0 && precision <= 300 && std::isfinite(x)) {
    // Python's round() rounds the exact binary value, half to even: as printf does.
    char buf[512];
    std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), x);
    return Value::number(std::strtod(buf, nullptr));
  }
  return Value::number(std::nearbyint(x * scale) / scale);
}

JsonOptions json_options(const Args& args) {
  JsonOptions o;
  o.ensure_ascii = truthy(args.get(0, "ensure_ascii", Value::boolean(false)));
  const Value indent = args.get(1, "indent", Value::none());
  if (indent.is_int()) {
    o.indent_set = true;
    o.indent = std::string(static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(indent.as_int(), 1 << 10))), ' ');
  } else if (indent.is_string()) {
    o.indent_set = true;
    o.indent = indent.s;
  } else if (!indent.is_none()) {
    fail("tojson: indent must be an int, a str or None");
  }
  if (o.indent_set) o.item_separator = ",";
  const Value separators = args.get(2, "separators", Value::none());
  if (!separators.is_none()) {
    if (!separators.is_sequence() || separators.list->size() != 2 || !(*separators.list)[0].is_string() ||
        !(*separators.list)[1].is_string()) {
      fail("tojson: separators must be a pair of strings");
    }
    o.item_separator = (*separators.list)[0].s;
    o.key_separator = (*separators.list)[1].s;
  }
  o.sort_keys = truthy(args.get(3, "sort_keys", Value::boolean(false)));
  return o;
}

Value to_int(const Value& v, const Value& fallback, int64_t base) {
  switch (v.type) {
    case Type::kBool:
    case Type::kInt: return Value::integer(v.as_int());
    case Type::kFloat:
      if (!std::isfinite(v.f) || std::fabs(v.f) > 9.2e18) return fallback;
      return Value::integer(static_cast<int64_t>(v.f));
    case Type::kString: {
      std::string s = python_strip(v.s, nullptr, true, true);
      std::string digits;
      for (char c : s) {
        if (c != '_') digits += c;
      }
      if (digits.empty()) return fallback;
      errno = 0;
      char* end = nullptr;
      const long long x = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
      if (!errno && end && *end == 0) return Value::integer(x);
      char* fend = nullptr;
      const double f = std::strtod(digits.c_str(), &fend);
      if (fend && *fend == 0 && std::isfinite(f) && std::fabs(f) < 9.2e18) return Value::integer(static_cast<int64_t>(f));
      return fallback;
    }
    default: return fallback;
  }
}

Value to_float(const Value& v, const Value& fallback) {
  switch (v.type) {
    case Type::kBool:
    case Type::kInt:
    case Type::kFloat: return Value::number(v.as_double());
    case Type::kString: {
      const std::string s = python_strip(v.s, nullptr, true, true);
      char* end = nullptr;
      const double f = std::strtod(s.c_str(), &end);
      if (s.empty() || !end || *end) return fallback;
      return Value::number(f);
    }
    default: return fallback;
  }
}

}  // namespace

Value apply_filter(const std::string& name, const Value& value, Args& args, Env& env) {
  const Value& v = value;
  if (name == "default" || name == "d") {
    const bool boolean = truthy(args.get(1, "boolean", Value::boolean(false)));
    if (v.is_undefined() || (boolean && !truthy(v))) return args.get(0, "default_value", Value::string(""));
    return v;
  }
  if (name == "trim") {
    const Value chars = args.get(0, "chars", Value::none());
    return Value::string(python_strip(to_str(v), chars.is_string() ? &chars.s : nullptr, true, true));
  }
  if (name == "tojson") return Value::string(to_json(v, json_options(args)));
  if (name == "length" || name == "count") return Value::integer(length_of(v));
  if (name == "string") return Value::string(to_str(v));
  if (name == "upper") return Value::string(upper(to_str(v)));
  if (name == "lower") return Value::string(lower(to_str(v)));
  if (name == "capitalize") return Value::string(capitalize(to_str(v)));
  if (name == "title") return Value::string(jinja_title(to_str(v)));
  if (name == "safe") return Value::string(to_str(v));  // Markup(value): a str
  if (name == "escape" || name == "e" || name == "forceescape") return Value::string(html_escape(to_str(v)));
  if (name == "replace") {
    const Value count = args.get(2, "count", Value::none());
    std::string out = python_replace(to_str(v), to_str(args.get(0, "old")), to_str(args.get(1, "new")), count.is_int() ? count.as_int() : -1);
    env.check_size(out.size());
    return Value::string(std::move(out));
  }
  if (name == "join") {
    const std::string sep = to_str(args.get(0, "d", Value::string("")));
    const Value attribute = args.get(1, "attribute", Value::none());
    std::string out;
    bool first = true;
    for (const auto& item : iterate(v)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attribute.is_none() ? item : attribute_of(item, to_str(attribute)));
      env.check_size(out.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "first") {
    const std::vector<Value> items = iterate(v);
    return items.empty() ? Value::undefined("first") : items.front();
  }
  if (name == "last") {
    if (v.is_undefined()) fail("'last' of an undefined value");
    const std::vector<Value> items = iterate(v);
    return items.empty() ? Value::undefined("last") : items.back();
  }
  if (name == "items") {
    if (v.is_undefined()) return Value::make_list({});
    if (v.type != Type::kDict) fail("can only get item pairs from a mapping");
    List out;
    for (const auto& item : v.dict->items) out.push_back(Value::make_list({item.first, item.second}, true));
    return Value::make_list(std::move(out));
  }
  if (name == "list") return Value::make_list(iterate(v));
  if (name == "unique") {
    const bool case_sensitive = truthy(args.get(0, "case_sensitive", Value::boolean(false)));
    const Value attribute = args.get(1, "attribute", Value::none());
    List out;
    std::vector<Value> seen;
    for (const auto& item : iterate(v)) {
      const Value key = sort_key(attribute.is_none() ? item : attribute_of(item, to_str(attribute)), case_sensitive);
      if (std::none_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); })) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return Value::make_list(std::move(out));
  }
  if (name == "reverse") {
    if (v.is_string()) {
      std::u32string cps = decode_utf8(v.s);
      std::reverse(cps.begin(), cps.end());
      return Value::string(encode_utf8(cps));
    }
    std::vector<Value> items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::make_list(std::move(items));
  }
  if (name == "sort") {
    return Value::make_list(sorted(iterate(v), truthy(args.get(0, "reverse", Value::boolean(false))),
                                   truthy(args.get(1, "case_sensitive", Value::boolean(false))),
                                   args.has(2, "attribute") ? to_str(args.get(2, "attribute")) : ""));
  }
  if (name == "dictsort") {
    if (v.type != Type::kDict) fail("dictsort: expected a mapping, got " + std::string(type_name(v)));
    const bool case_sensitive = truthy(args.get(0, "case_sensitive", Value::boolean(false)));
    const std::string by = to_str(args.get(1, "by", Value::string("key")));
    const bool reverse = truthy(args.get(2, "reverse", Value::boolean(false)));
    if (by != "key" && by != "value") fail("You can only sort by either 'key' or 'value'");
    std::vector<std::pair<Value, Value>> items = v.dict->items;
    std::stable_sort(items.begin(), items.end(), [&](const auto& a, const auto& b) {
      const Value ka = sort_key(by == "key" ? a.first : a.second, case_sensitive);
      const Value kb = sort_key(by == "key" ? b.first : b.second, case_sensitive);
      return reverse ? less(kb, ka) : less(ka, kb);
    });
    List out;
    for (auto& item : items) out.push_back(Value::make_list({item.first, item.second}, true));
    return Value::make_list(std::move(out));
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
    const bool by_attribute = name == "selectattr" || name == "rejectattr";
    const bool select = name == "selectattr" || name == "select";
    const size_t test_at = by_attribute ? 1 : 0;
    const std::string attribute = by_attribute ? to_str(args.get(0, "attribute")) : "";
    const bool has_test = args.positional.size() > test_at;
    const std::string test = has_test ? to_str(args.positional[test_at]) : "";
    Args test_args = rest_args(args, test_at + 1);
    test_args.keyword.clear();
    List out;
    if (!truthy(v)) return Value::make_list({});  // jinja2: `if value:` before iterating
    for (const auto& item : iterate(v)) {
      const Value subject = by_attribute ? attribute_of(item, attribute) : item;
      Args a = test_args;
      const bool passed = has_test ? apply_test(test, subject, a, env) : truthy(subject);
      if (passed == select) out.push_back(item);
    }
    return Value::make_list(std::move(out));
  }
  if (name == "map") {
    List out;
    if (!truthy(v)) return Value::make_list({});  // jinja2: `if value:` before iterating
    const Value attribute = args.get(99, "attribute", Value::none());
    if (!attribute.is_none()) {
      const Value fallback = args.get(99, "default", Value());
      for (const auto& item : iterate(v)) {
        Value x = attribute_of(item, to_str(attribute));
        out.push_back(x.is_undefined() && !fallback.is_undefined() ? fallback : x);
      }
      return Value::make_list(std::move(out));
    }
    if (args.positional.empty()) fail("map requires a filter argument");
    const std::string filter = to_str(args.positional[0]);
    Args filter_args = rest_args(args, 1);
    for (const auto& item : iterate(v)) {
      Args a = filter_args;
      out.push_back(apply_filter(filter, item, a, env));
    }
    return Value::make_list(std::move(out));
  }
  if ((name == "int" || name == "float") && v.is_undefined()) fail("'" + (v.s.empty() ? std::string("value") : v.s) + "' is undefined");
  if (name == "int") {
    const Value base = args.get(1, "base", Value::integer(10));
    return to_int(v, args.get(0, "default", Value::integer(0)), base.is_int() ? base.as_int() : 10);
  }
  if (name == "float") return to_float(v, args.get(0, "default", Value::number(0.0)));
  if (name == "abs") {
    if (v.type == Type::kFloat) return Value::number(std::fabs(v.f));
    if (v.is_int()) {
      if (v.as_int() == INT64_MIN) fail("integer overflow");
      return Value::integer(std::llabs(v.as_int()));
    }
    fail(std::string("bad operand type for abs(): '") + type_name(v) + "'");
  }
  if (name == "round") {
    if (!v.is_number()) fail(std::string("type ") + type_name(v) + " doesn't define __round__ method");
    const Value precision = args.get(0, "precision", Value::integer(0));
    if (v.is_int() && precision.is_int() && precision.as_int() >= 0) return Value::integer(v.as_int());  // round(int) is an int
    return python_round(v.as_double(), precision.is_int() ? precision.as_int() : 0, to_str(args.get(1, "method", Value::string("common"))));
  }
  if (name == "indent") {
    if (!v.is_string()) fail(std::string("unsupported operand type(s) for +=: '") + type_name(v) + "' and 'str'");
    const Value width = args.get(0, "width", Value::integer(4));
    const bool first = truthy(args.get(1, "first", Value::boolean(false)));
    const bool blank = truthy(args.get(2, "blank", Value::boolean(false)));
    const std::string indention = width.is_string() ? width.s : std::string(static_cast<size_t>(std::max<int64_t>(0, std::min<int64_t>(width.as_int(), 1 << 10))), ' ');
    const std::vector<std::string> lines = python_splitlines(to_str(v) + "\n", false);
    std::string out;
    if (blank) {
      for (size_t k = 0; k < lines.size(); ++k) out += (k ? "\n" + indention : "") + lines[k];
    } else {
      out = lines.empty() ? "" : lines[0];
      for (size_t k = 1; k < lines.size(); ++k) out += "\n" + (lines[k].empty() ? "" : indention + lines[k]);
    }
    if (first) out = indention + out;
    env.check_size(out.size());
    return Value::string(std::move(out));
  }
  if (name == "wordcount") {
    int64_t n = 0;
    bool in_word = false;
    for (char32_t c : decode_utf8(to_str(v))) {
      const bool word = is_alnum(c) || c == '_';
      if (word && !in_word) ++n;
      in_word = word;
    }
    return Value::integer(n);
  }
  if (name == "center") {
    const Value width = args.get(0, "width", Value::integer(80));
    return Value::string(pad(to_str(v), width.is_int() ? width.as_int() : 80, " ", 'c'));
  }
  if (name == "sum") {
    const Value attribute = args.get(0, "attribute", Value::none());
    Value total = args.get(1, "start", Value::integer(0));
    for (const auto& item : iterate(v)) total = binary_op("+", total, attribute.is_none() ? item : attribute_of(item, to_str(attribute)), env);
    return total;
  }
  if (name == "min" || name == "max") {
    const bool case_sensitive = truthy(args.get(0, "case_sensitive", Value::boolean(false)));
    const Value attribute = args.get(1, "attribute", Value::none());
    std::vector<Value> items = sorted(iterate(v), false, case_sensitive, attribute.is_none() ? "" : to_str(attribute));
    if (items.empty()) return Value::undefined(name);
    return name == "min" ? items.front() : items.back();
  }
  if (name == "format") {
    if (!args.keyword.empty()) {
      auto d = std::make_shared<Dict>();
      for (const auto& kw : args.keyword) d->set(Value::string(kw.first), kw.second);
      return Value::string(percent_format(to_str(v), Value::make_dict(d)));
    }
    return Value::string(percent_format(to_str(v), Value::make_list(args.positional, true)));
  }
  if (name == "attr") return get_attr(v, to_str(args.get(0, "name")));
  if (name == "pprint") return Value::string(to_repr(v));
  if (name == "batch") {
    const Value size = args.get(0, "linecount");
    if (!size.is_int() || size.as_int() <= 0) fail("batch: linecount must be a positive integer");
    const Value fill = args.get(1, "fill_with", Value::none());
    List out, current;
    for (const auto& item : iterate(v)) {
      current.push_back(item);
      if (static_cast<int64_t>(current.size()) == size.as_int()) {
        out.push_back(Value::make_list(std::move(current)));
        current.clear();
      }
    }
    if (!current.empty()) {
      if (!fill.is_none()) {
        while (static_cast<int64_t>(current.size()) < size.as_int()) current.push_back(fill);
      }
      out.push_back(Value::make_list(std::move(current)));
    }
    return Value::make_list(std::move(out));
  }
  fail("no filter named '" + name + "'");
}

bool apply_test(const std::string& name, const Value& v, Args& args, Env& /*env*/) {
  auto arg = [&]() { return args.get(0, "other"); };
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "boolean") return v.type == Type::kBool;
  if (name == "false") return v.type == Type::kBool && !v.b;
  if (name == "true") return v.type == Type::kBool && v.b;
  if (name == "integer") return v.type == Type::kInt;
  if (name == "float") return v.type == Type::kFloat;
  if (name == "number") return v.is_number();
  if (name == "string") return v.is_string();
  if (name == "mapping") return v.type == Type::kDict;
  if (name == "iterable") return v.is_undefined() || v.is_string() || v.is_sequence() || v.type == Type::kDict;
  if (name == "sequence") return v.is_undefined() || v.is_string() || v.is_sequence() || v.type == Type::kDict;
  if (name == "callable") return v.type == Type::kCallable || v.is_undefined();  // Undefined has __call__
  if (name == "escaped") return false;
  if (name == "odd" || name == "even") {
    if (v.is_undefined()) fail("'" + v.s + "' is undefined");
    if (!v.is_number()) fail(std::string("unsupported operand type(s) for %: '") + type_name(v) + "' and 'int'");
    const bool odd = v.type == Type::kFloat ? std::fmod(std::fabs(v.f), 2.0) == 1.0 : (v.as_int() % 2 != 0);
    return name == "odd" ? odd : !odd;
  }
  if (name == "divisibleby") {
    const Value n = args.get(0, "num");
    if (!v.is_number() || !n.is_number()) fail("divisibleby needs numbers");
    if (n.as_double() == 0) fail("integer division or modulo by zero");
    if (v.is_int() && n.is_int()) return v.as_int() % n.as_int() == 0;
    return std::fmod(v.as_double(), n.as_double()) == 0;
  }
  if (name == "eq" || name == "equalto" || name == "==") return equals(v, arg());
  if (name == "ne" || name == "!=") return !equals(v, arg());
  if (name == "lt" || name == "lessthan" || name == "<") return less(v, arg());
  if (name == "le" || name == "<=") return !less(arg(), v);
  if (name == "gt" || name == "greaterthan" || name == ">") return less(arg(), v);
  if (name == "ge" || name == ">=") return !less(v, arg());
  if (name == "in") return contains(args.get(0, "seq"), v);
  if (name == "sameas") {
    const Value other = arg();
    if (v.type != other.type) return false;
    if (v.is_none() || v.is_undefined()) return true;
    if (v.type == Type::kBool) return v.b == other.b;
    if (v.type == Type::kInt) return v.i == other.i && v.i >= -5 && v.i <= 256;
    if (v.is_sequence()) return v.list == other.list;
    if (v.type == Type::kDict || v.type == Type::kNamespace) return v.dict == other.dict;
    return false;
  }
  if (name == "lower" || name == "upper") {
    const std::string s = to_str(v);
    return name == "lower" ? lower(s) == s : upper(s) == s;
  }
  if (name == "filter" || name == "test") return false;
  fail("no test named '" + name + "'");
}

}  // namespace grpo::detail::jinja
