// Python's str operations on UTF-8 text (see text.h).
#include "tokenizer/jinja/text.h"

#include "tokenizer/jinja/builtins.h"

#include <cmath>
#include <cstdio>

namespace grpo::detail::jinja {

std::vector<std::string> python_split(const std::string& s, const std::string* sep, int64_t maxsplit, bool from_right) {
  std::vector<std::string> out;
  if (sep) {
    if (sep->empty()) fail("empty separator");
    if (!from_right) {
      size_t begin = 0;
      for (size_t at = s.find(*sep); at != std::string::npos && (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit);
           at = s.find(*sep, begin)) {
        out.push_back(s.substr(begin, at - begin));
        begin = at + sep->size();
      }
      out.push_back(s.substr(begin));
      return out;
    }
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(out.size()) < maxsplit) {
      if (end < sep->size()) break;
      const size_t at = s.rfind(*sep, end - sep->size());
      if (at == std::string::npos) break;
      out.push_back(s.substr(at + sep->size(), end - at - sep->size()));
      end = at;
    }
    out.push_back(s.substr(0, end));
    return std::vector<std::string>(out.rbegin(), out.rend());
  }
  const std::u32string cps = decode_utf8(s);
  const auto n = cps.size();
  if (!from_right) {
    size_t k = 0;
    while (true) {
      while (k < n && is_space(cps[k])) ++k;
      if (k >= n) break;
      if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
        size_t end = n;
        while (end > k && is_space(cps[end - 1])) --end;
        out.push_back(encode_utf8(cps.substr(k, end - k)));
        break;
      }
      size_t start = k;
      while (k < n && !is_space(cps[k])) ++k;
      out.push_back(encode_utf8(cps.substr(start, k - start)));
    }
    return out;
  }
  size_t k = n;
  while (true) {
    while (k > 0 && is_space(cps[k - 1])) --k;
    if (k == 0) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      size_t begin = 0;
      while (begin < k && is_space(cps[begin])) ++begin;
      out.push_back(encode_utf8(cps.substr(begin, k - begin)));
      break;
    }
    size_t end = k;
    while (k > 0 && !is_space(cps[k - 1])) --k;
    out.push_back(encode_utf8(cps.substr(k, end - k)));
  }
  return std::vector<std::string>(out.rbegin(), out.rend());
}

std::string python_strip(const std::string& s, const std::string* chars, bool left, bool right) {
  const std::u32string cps = decode_utf8(s);
  const std::u32string set = chars ? decode_utf8(*chars) : std::u32string();
  auto strip = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : is_space(c); };
  size_t begin = 0;
  size_t end = cps.size();
  if (left) {
    while (begin < end && strip(cps[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strip(cps[end - 1])) --end;
  }
  return encode_utf8(cps.substr(begin, end - begin));
}

std::string upper(const std::string& s) {
  std::u32string cps = decode_utf8(s);
  std::string out;
  for (char32_t c : cps) {
    if (c == 0xDF) {
      out += "SS";
    } else {
      append_utf8(out, to_upper(c));
    }
  }
  return out;
}

std::string lower(const std::string& s) {
  std::u32string cps = decode_utf8(s);
  for (auto& c : cps) c = to_lower(c);
  return encode_utf8(cps);
}

std::string python_title(const std::string& s) {
  std::u32string cps = decode_utf8(s);
  bool previous_cased = false;
  for (auto& c : cps) {
    c = previous_cased ? to_lower(c) : to_upper(c);
    previous_cased = is_cased_letter(c);
  }
  return encode_utf8(cps);
}

std::string capitalize(const std::string& s) {
  std::u32string cps = decode_utf8(s);
  for (size_t k = 0; k < cps.size(); ++k) cps[k] = k == 0 ? to_upper(cps[k]) : to_lower(cps[k]);
  return encode_utf8(cps);
}

std::string jinja_title(const std::string& s) {
  const std::u32string cps = decode_utf8(s);
  auto separator = [](char32_t c) { return c == '-' || c == '(' || c == '{' || c == '[' || c == '<' || is_space(c); };
  std::u32string out;
  size_t k = 0;
  while (k < cps.size()) {
    const bool sep = separator(cps[k]);
    size_t end = k;
    while (end < cps.size() && separator(cps[end]) == sep) ++end;
    for (size_t m = k; m < end; ++m) out += m == k ? to_upper(cps[m]) : to_lower(cps[m]);
    k = end;
  }
  return encode_utf8(out);
}

std::string python_replace(const std::string& s, const std::string& from, const std::string& to, int64_t count) {
  std::string out;
  if (from.empty()) {
    const std::u32string cps = decode_utf8(s);
    int64_t done = 0;
    for (size_t k = 0; k <= cps.size(); ++k) {
      if (count < 0 || done < count) {
        out += to;
        ++done;
      }
      if (k < cps.size()) append_utf8(out, cps[k]);
    }
    return out;
  }
  size_t begin = 0;
  int64_t done = 0;
  for (size_t at = s.find(from); at != std::string::npos && (count < 0 || done < count); at = s.find(from, begin)) {
    out.append(s, begin, at - begin);
    out += to;
    begin = at + from.size();
    ++done;
  }
  out.append(s, begin, std::string::npos);
  return out;
}

std::vector<std::string> python_splitlines(const std::string& s, bool keepends) {
  const std::u32string cps = decode_utf8(s);
  std::vector<std::string> out;
  auto is_break = [](char32_t c) {
    return c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E || c == 0x85 ||
           c == 0x2028 || c == 0x2029;
  };
  size_t begin = 0;
  size_t k = 0;
  while (k < cps.size()) {
    if (!is_break(cps[k])) {
      ++k;
      continue;
    }
    size_t end = k + 1;
    if (cps[k] == '\r' && end < cps.size() && cps[end] == '\n') ++end;
    out.push_back(encode_utf8(cps.substr(begin, (keepends ? end : k) - begin)));
    begin = k = end;
  }
  if (begin < cps.size()) out.push_back(encode_utf8(cps.substr(begin)));
  return out;
}

std::string pad(const std::string& s, int64_t width, const std::string& fill, char how) {
  const std::u32string cps = decode_utf8(s);
  const std::u32string f = decode_utf8(fill);
  if (f.size() != 1) fail("the fill character must be exactly one character long");
  const auto n = static_cast<int64_t>(cps.size());
  if (width <= n) return s;
  if (width > (1 << 24)) fail("padding width too large");
  const int64_t total = width - n;
  int64_t left = how == 'l' ? 0 : how == 'r' ? total : total / 2 + (total & width & 1);
  const int64_t right = total - left;
  std::string out;
  for (int64_t k = 0; k < left; ++k) append_utf8(out, f[0]);
  out += s;
  for (int64_t k = 0; k < right; ++k) append_utf8(out, f[0]);
  return out;
}

namespace {

/// A value formatted with a spec [[fill]align][sign][0][width][.precision][type].
std::string format_spec(const Value& v, const std::string& spec) {
  if (spec.empty()) return to_str(v);
  const std::u32string cps = decode_utf8(spec);
  size_t k = 0;
  char32_t fill = ' ';
  char align = 0;
  auto is_align = [](char32_t c) { return c == '<' || c == '>' || c == '^' || c == '='; };
  if (cps.size() >= 2 && is_align(cps[1])) {
    fill = cps[0];
    align = static_cast<char>(cps[1]);
    k = 2;
  } else if (!cps.empty() && is_align(cps[0])) {
    align = static_cast<char>(cps[0]);
    k = 1;
  }
  std::string sign;
  if (k < cps.size() && (cps[k] == '+' || cps[k] == '-' || cps[k] == ' ')) sign = static_cast<char>(cps[k++]);
  if (k < cps.size() && cps[k] == '0') {
    fill = '0';
    if (!align) align = '=';
    ++k;
  }
  int64_t width = 0;
  while (k < cps.size() && cps[k] >= '0' && cps[k] <= '9') width = width * 10 + (cps[k++] - '0');
  int precision = -1;
  if (k < cps.size() && cps[k] == '.') {
    precision = 0;
    ++k;
    while (k < cps.size() && cps[k] >= '0' && cps[k] <= '9') precision = precision * 10 + static_cast<int>(cps[k++] - '0');
  }
  char type = 0;
  if (k < cps.size()) type = static_cast<char>(cps[k++]);
  if (k != cps.size() || width > (1 << 20) || precision > 100) fail("invalid format specifier '" + spec + "'");
  std::string body;
  char buf[512];
  if (type == 'f' || type == 'F' || type == 'e' || type == 'g' || type == '%') {
    if (!v.is_number()) fail("unknown format code '" + std::string(1, type) + "' for object of type '" + type_name(v) + "'");
    double x = v.as_double();
    if (type == '%') x *= 100;
    const char conv = type == '%' ? 'f' : type;
    std::snprintf(buf, sizeof buf, (std::string("%") + sign + ".*" + conv).c_str(), precision < 0 ? 6 : precision, x);
    body = buf;
    if (type == '%') body += '%';
  } else if (type == 'd' || type == 'x' || type == 'X' || type == 'o' || type == 'b') {
    if (!v.is_int()) fail("unknown format code '" + std::string(1, type) + "' for object of type '" + type_name(v) + "'");
    if (type == 'b') {
      uint64_t u = static_cast<uint64_t>(std::llabs(v.as_int()));
      do {
        body.insert(body.begin(), static_cast<char>('0' + (u & 1)));
        u >>= 1;
      } while (u);
      if (v.as_int() < 0) body.insert(body.begin(), '-');
    } else {
      std::snprintf(buf, sizeof buf, (std::string("%") + sign + "ll" + type).c_str(), static_cast<long long>(v.as_int()));
      body = buf;
    }
  } else if (type == 0 || type == 's') {
    body = v.type == Type::kFloat && precision >= 0 ? (std::snprintf(buf, sizeof buf, "%.*g", precision, v.f), std::string(buf)) : to_str(v);
    if (precision >= 0 && v.is_string()) body = encode_utf8(decode_utf8(body).substr(0, static_cast<size_t>(precision)));
  } else {
    fail("unsupported format code '" + std::string(1, type) + "'");
  }
  if (!align) align = v.is_number() && type != 's' ? '>' : '<';
  const auto length = static_cast<int64_t>(decode_utf8(body).size());
  if (width <= length) return body;
  std::string f;
  append_utf8(f, fill);
  const int64_t total = width - length;
  std::string out;
  auto repeat = [&](int64_t n) {
    for (int64_t m = 0; m < n; ++m) out += f;
  };
  if (align == '<') {
    out = body;
    repeat(total);
  } else if (align == '>') {
    repeat(total);
    out += body;
  } else if (align == '^') {
    repeat(total / 2);
    out += body;
    repeat(total - total / 2);
  } else {
    size_t sign_len = !body.empty() && (body[0] == '-' || body[0] == '+' || body[0] == ' ') ? 1 : 0;
    out = body.substr(0, sign_len);
    repeat(total);
    out += body.substr(sign_len);
  }
  return out;
}

}  // namespace

std::string brace_format(const std::string& s, const Args& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '}') {
      if (k + 1 < s.size() && s[k + 1] == '}') {
        out += '}';
        ++k;
        continue;
      }
      fail("single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (k + 1 < s.size() && s[k + 1] == '{') {
      out += '{';
      ++k;
      continue;
    }
    const size_t close = s.find('}', k);
    if (close == std::string::npos) fail("single '{' encountered in format string");
    std::string field = s.substr(k + 1, close - k - 1);
    k = close;
    std::string spec;
    char conversion = 0;
    const size_t colon = field.find(':');
    if (colon != std::string::npos) {
      spec = field.substr(colon + 1);
      field.resize(colon);
    }
    const size_t bang = field.find('!');
    if (bang != std::string::npos) {
      conversion = bang + 1 < field.size() ? field[bang + 1] : 0;
      field.resize(bang);
    }
    // The argument: index or name, then .attr / [key] parts.
    size_t end = field.find_first_of(".[");
    const std::string head = field.substr(0, end);
    Value v;
    if (head.empty()) {
      if (auto_index >= args.positional.size()) fail("Replacement index " + std::to_string(auto_index) + " out of range");
      v = args.positional[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(head[0]))) {
      const size_t index = std::stoul(head);
      if (index >= args.positional.size()) fail("Replacement index " + head + " out of range");
      v = args.positional[index];
    } else {
      bool found = false;
      for (const auto& kw : args.keyword) {
        if (kw.first == head) {
          v = kw.second;
          found = true;
        }
      }
      if (!found) fail("KeyError: '" + head + "'");
    }
    while (end != std::string::npos && end < field.size()) {
      if (field[end] == '.') {
        const size_t next = field.find_first_of(".[", end + 1);
        v = get_attr(v, field.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1));
        end = next;
      } else {
        const size_t close_bracket = field.find(']', end);
        if (close_bracket == std::string::npos) fail("missing ']' in format string");
        const std::string key = field.substr(end + 1, close_bracket - end - 1);
        const bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
        v = get_item(v, numeric ? Value::integer(std::stoll(key)) : Value::string(key));
        end = close_bracket + 1 < field.size() ? close_bracket + 1 : std::string::npos;
      }
    }
    if (conversion == 'r') v = Value::string(to_repr(v));
    else if (conversion == 's') v = Value::string(to_str(v));
    out += format_spec(v, spec);
  }
  return out;
}

std::string percent_format(const std::string& s, const Value& args) {
  std::vector<Value> values;
  if (args.type == Type::kTuple) values = *args.list;
  else values.push_back(args);
  const bool mapping = args.type == Type::kDict;
  size_t next = 0;
  std::string out;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] != '%') {
      out += s[k];
      continue;
    }
    if (++k >= s.size()) fail("incomplete format");
    Value v;
    bool have_value = false;
    if (s[k] == '(' && mapping) {
      const size_t close = s.find(')', k);
      if (close == std::string::npos) fail("incomplete format key");
      const Value* found = args.dict->find(Value::string(s.substr(k + 1, close - k - 1)));
      if (!found) fail("KeyError: '" + s.substr(k + 1, close - k - 1) + "'");
      v = *found;
      have_value = true;
      k = close + 1;
    }
    std::string spec;
    while (k < s.size() && std::string("-+ #0123456789.").find(s[k]) != std::string::npos) spec += s[k++];
    if (k >= s.size()) fail("incomplete format");
    const char type = s[k];
    if (type == '%') {
      out += '%';
      continue;
    }
    if (!have_value) {
      if (mapping) v = args;
      else if (next >= values.size()) fail("not enough arguments for format string");
      else v = values[next++];
    }
    if (spec.size() > 8) fail("format specifier too long");
    char buf[512];
    switch (type) {
      case 's':
      case 'r':
      case 'a': {
        const std::string text = type == 's' ? to_str(v) : to_repr(v);
        // Flags, width and precision on text, by code points.
        size_t at = 0;
        bool left = false;
        while (at < spec.size() && std::string("-+ #0").find(spec[at]) != std::string::npos) left |= spec[at++] == '-';
        int64_t width = 0;
        while (at < spec.size() && std::isdigit(static_cast<unsigned char>(spec[at]))) width = width * 10 + (spec[at++] - '0');
        std::string formatted = text;
        if (at < spec.size() && spec[at] == '.') {
          size_t precision = 0;
          for (++at; at < spec.size() && std::isdigit(static_cast<unsigned char>(spec[at])); ++at) precision = precision * 10 + static_cast<size_t>(spec[at] - '0');
          formatted = encode_utf8(decode_utf8(formatted).substr(0, precision));
        }
        out += pad(formatted, width, " ", left ? 'l' : 'r');
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        if (!v.is_number()) fail(std::string("%") + type + " format: a real number is required, not " + type_name(v));
        const auto x = static_cast<long long>(v.type == Type::kFloat ? std::trunc(v.f) : static_cast<double>(v.as_int()));
        const char conv = type == 'i' || type == 'u' ? 'd' : type;
        std::snprintf(buf, sizeof buf, ("%" + spec + "ll" + conv).c_str(), x);
        out += buf;
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G': {
        if (!v.is_number()) fail(std::string("must be real number, not ") + type_name(v));
        std::snprintf(buf, sizeof buf, ("%" + spec + type).c_str(), v.as_double());
        out += buf;
        break;
      }
      case 'c': out += to_str(v); break;
      default: fail(std::string("unsupported format character '") + type + "'");
    }
  }
  const bool mapping_like = mapping || args.type == Type::kList;  // Python treats these as mappings
  if (!mapping_like && next < values.size()) fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace grpo::detail::jinja
