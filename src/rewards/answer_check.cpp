// Final-answer extraction, the typed answer model (parse_answer) and equivalence (verify_answer),
// compared with GiNaC. See docs/rewards.md ("accuracy") for every rule. Standard C++, GiNaC and
// utf8proc only, so the fuzz target builds it without LibTorch.
#include <grpo/rewards/checkers.h>

#include <ginac/ginac.h>
#include <utf8proc.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <utility>

namespace grpo {
namespace {

constexpr size_t kMaxAnswerBytes = 1000;        // longer answers are unparseable (bounded GiNaC time)
constexpr int64_t kMaxExponentProduct = 10000;  // product of the exponents' integer literals
constexpr int kMaxNesting = 50;
constexpr size_t kMaxItems = 32;           // elements of a tuple, interval union or set
constexpr double kRowBudgetSeconds = 0.05;  // comparison time of one row before it is refused

std::atomic<uint64_t> g_budget_refusals{0};

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_alpha(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
char to_lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }
char to_upper(char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); }

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\n\r\f\v");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\n\r\f\v") + 1 - begin);
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.compare(0, prefix.size(), prefix) == 0; }
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Removes each LaTeX command `cmd` that is not the prefix of a longer command (\left, not \leftarrow).
void remove_command(std::string& s, const std::string& cmd) {
  for (size_t pos = s.find(cmd); pos != std::string::npos; pos = s.find(cmd, pos)) {
    if (pos + cmd.size() < s.size() && is_alpha(s[pos + cmd.size()])) {
      pos += cmd.size();
      continue;
    }
    s.erase(pos, cmd.size());
  }
}

// Replaces command `from` by `to` where `from` is not the prefix of a longer command.
void rename_command(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos)) {
    if (pos + from.size() < s.size() && is_alpha(s[pos + from.size()])) {
      pos += from.size();
      continue;
    }
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
}

// Content of the brace group opening at `open` (s[open] == '{'), or nullopt if unclosed.
std::optional<std::string> brace_group(const std::string& s, size_t open, size_t* end) {
  int depth = 0;
  for (size_t i = open; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) {
      *end = i + 1;
      return s.substr(open + 1, i - open - 1);
    }
  }
  return std::nullopt;
}

struct Span {
  size_t start = 0;  // where the candidate begins (its command or tag)
  std::string content;
};

// The last closed \boxed{...} / \fbox{...} (by opening position), in one linear pass.
std::optional<Span> last_boxed_span(const std::string& text) {
  std::vector<std::pair<size_t, bool>> open;  // position of '{', whether it opens a box
  std::optional<std::pair<size_t, size_t>> best;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if ((c != '{' && c != '}') || (i > 0 && text[i - 1] == '\\')) continue;
    if (c == '{') {
      bool box =
          (i >= 6 && text.compare(i - 6, 6, "\\boxed") == 0) || (i >= 5 && text.compare(i - 5, 5, "\\fbox") == 0);
      open.emplace_back(i, box);
    } else if (!open.empty()) {
      auto [start, box] = open.back();
      open.pop_back();
      if (box && (!best || start > best->first)) best = std::make_pair(start, i);
    }
  }
  if (!best) return std::nullopt;
  return Span{best->first, text.substr(best->first + 1, best->second - best->first - 1)};
}

std::optional<std::string> last_boxed(const std::string& text) {
  auto span = last_boxed_span(text);
  if (!span) return std::nullopt;
  return span->content;
}

// ---------------------------------------------------------------------------------------------
// Unicode: special code points to ASCII math, then NFKC (fullwidth digits, no-break spaces).

void append_utf8(std::string& out, utf8proc_int32_t cp) {
  utf8proc_uint8_t buffer[4];
  const auto n = utf8proc_encode_char(cp, buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
}

const char* special_code_point(utf8proc_int32_t cp) {
  switch (cp) {
    case 0x2212: case 0x2012: case 0x2013: case 0xFE63: case 0xFF0D: return "-";
    case 0x00D7: return "\\times ";
    case 0x00B7: case 0x22C5: case 0x2219: return "\\cdot ";
    case 0x00F7: return "\\div ";
    case 0x03C0: return "\\pi ";
    case 0x221A: return "\\sqrt";
    case 0x221E: return "\\infty ";
    case 0x2264: case 0x2A7D: return "\\le ";
    case 0x2265: case 0x2A7E: return "\\ge ";
    case 0x00B1: return "\\pm ";
    case 0x2213: return "\\mp ";
    case 0x00B0: return "^\\circ ";
    case 0x2044: case 0x2215: return "/";
    case 0x222A: return "\\cup ";
    case 0x066B: return ".";
    case 0x066C: return ",";
    case 0x00B2: return "^{2}";
    case 0x00B3: return "^{3}";
    case 0x00B9: return "^{1}";
    case 0x2070: return "^{0}";
    case 0x2074: return "^{4}";
    case 0x2075: return "^{5}";
    case 0x2076: return "^{6}";
    case 0x2077: return "^{7}";
    case 0x2078: return "^{8}";
    case 0x2079: return "^{9}";
    case 0x2009: case 0x200A: case 0x202F: case 0x00A0: case 0x2007: case 0x2008: return " ";
    case 0x200B: case 0xFEFF: return "";
    default: return nullptr;
  }
}

// One pass of the special mapping; invalid bytes become '?'.
std::string map_special(const std::string& in) {
  std::string out;
  out.reserve(in.size());
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(in.data());
  const auto size = static_cast<utf8proc_ssize_t>(in.size());
  utf8proc_ssize_t pos = 0;
  while (pos < size) {
    if (bytes[pos] < 0x80) {
      out.push_back(static_cast<char>(bytes[pos++]));
      continue;
    }
    utf8proc_int32_t cp = -1;
    const auto n = utf8proc_iterate(bytes + pos, size - pos, &cp);
    if (n <= 0 || cp < 0) {
      out.push_back('?');
      ++pos;
      continue;
    }
    pos += n;
    if ((cp >= 0x0660 && cp <= 0x0669) || (cp >= 0x06F0 && cp <= 0x06F9) || (cp >= 0x0966 && cp <= 0x096F)) {
      const utf8proc_int32_t zero = cp >= 0x0966 ? 0x0966 : cp >= 0x06F0 ? 0x06F0 : 0x0660;
      out.push_back(static_cast<char>('0' + (cp - zero)));
    } else if (const char* text = special_code_point(cp)) {
      out += text;
    } else {
      append_utf8(out, cp);
    }
  }
  return out;
}

// Special code points mapped, NFKC applied, then the mapping again (NFKC makes `½` into 1⁄2).
std::string unicode_to_ascii_math(const std::string& in) {
  const bool ascii = std::all_of(in.begin(), in.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
  if (ascii) return in;
  std::string mapped = map_special(in);
  utf8proc_uint8_t* nfkc = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(mapped.data()),
                              static_cast<utf8proc_ssize_t>(mapped.size()), &nfkc,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT));
  if (n < 0 || nfkc == nullptr) return mapped;
  std::string result(reinterpret_cast<const char*>(nfkc), static_cast<size_t>(n));
  std::free(nfkc);
  return map_special(result);
}

// ---------------------------------------------------------------------------------------------
// LaTeX clean-up shared by every reading.

// `{A \over B}` becomes `\frac{A}{B}` (the enclosing group, or the whole text).
void convert_over(std::string& s) {
  for (int guard = 0; guard < 20; ++guard) {
    size_t pos = s.find("\\over");
    while (pos != std::string::npos && pos + 5 < s.size() && is_alpha(s[pos + 5])) pos = s.find("\\over", pos + 5);
    if (pos == std::string::npos) return;
    size_t begin = 0, end = s.size();
    int depth = 0;
    for (size_t i = pos; i-- > 0;) {
      if (s[i] == '}') ++depth;
      if (s[i] == '{' && depth-- == 0) {
        begin = i + 1;
        break;
      }
    }
    depth = 0;
    for (size_t i = pos + 5; i < s.size(); ++i) {
      if (s[i] == '{') ++depth;
      if (s[i] == '}' && depth-- == 0) {
        end = i;
        break;
      }
    }
    const std::string numerator = s.substr(begin, pos - begin), denominator = s.substr(pos + 5, end - pos - 5);
    s.replace(begin, end - begin, "\\frac{" + numerator + "}{" + denominator + "}");
  }
}

std::string collapse_spaces(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (is_space(c)) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return trim(out);
}

// Drops trailing sentence punctuation and markdown emphasis around the whole text.
std::string strip_decoration(std::string s) {
  for (bool changed = true; changed;) {
    changed = false;
    s = trim(s);
    if (starts_with(s, "**") && ends_with(s, "**") && s.size() >= 4) {
      s = s.substr(2, s.size() - 4);
      changed = true;
    }
    while (!s.empty() && (s.back() == '.' || s.back() == ';' || s.back() == ',') &&
           !(s.size() >= 2 && s[s.size() - 2] == '\\')) {
      s.pop_back();
      changed = true;
    }
  }
  return trim(s);
}

std::string clean_latex(const std::string& raw) {
  std::string s = unicode_to_ascii_math(raw);
  replace_all(s, "\\left.", "");
  replace_all(s, "\\right.", "");
  for (const char* cmd : {"\\left", "\\right", "\\bigl", "\\bigr", "\\Bigl", "\\Bigr", "\\big", "\\Big",
                          "\\displaystyle", "\\limits", "\\mathstrut"}) {
    remove_command(s, cmd);
  }
  replace_all(s, "\\$", " ");
  replace_all(s, "$", " ");
  for (const char* delimiter : {"\\(", "\\)", "\\[", "\\]"}) replace_all(s, delimiter, " ");
  replace_all(s, "\\!", "");
  for (const char* space : {"\\,", "\\;", "\\:", "\\>", "\\ "}) replace_all(s, space, " ");
  for (const char* space : {"\\qquad", "\\quad", "\\thinspace", "\\enspace"}) rename_command(s, space, " ");
  replace_all(s, "~", " ");
  replace_all(s, "{,}", ",");
  replace_all(s, "{.}", ".");
  for (const char* frac : {"\\dfrac", "\\tfrac", "\\cfrac"}) rename_command(s, frac, "\\frac");
  rename_command(s, "\\leqslant", "\\le");
  rename_command(s, "\\geqslant", "\\ge");
  rename_command(s, "\\leq", "\\le");
  rename_command(s, "\\geq", "\\ge");
  rename_command(s, "\\lt", "<");
  rename_command(s, "\\gt", ">");
  rename_command(s, "\\neq", "\\ne");
  replace_all(s, "<=", "\\le ");
  replace_all(s, ">=", "\\ge ");
  convert_over(s);
  s = strip_decoration(collapse_spaces(s));
  replace_all(s, "**", "^");
  return s;
}

// Replaces each `\cmd{X}` by X.
void unwrap_command(std::string& s, const std::string& cmd) {
  for (size_t pos = s.find(cmd + "{"); pos != std::string::npos; pos = s.find(cmd + "{", pos)) {
    size_t end = 0;
    auto content = brace_group(s, pos + cmd.size(), &end);
    if (!content) return;
    s.replace(pos, end - pos, *content);
  }
}

const std::array<const char*, 13> kTextCommands = {"\\textbf", "\\textit", "\\textrm", "\\textup", "\\text",
                                                   "\\mathrm", "\\mathbf", "\\mathit", "\\mathsf", "\\mbox",
                                                   "\\operatorname", "\\boxed", "\\fbox"};

std::string unwrap_text_commands(std::string s) {
  for (const char* cmd : kTextCommands) unwrap_command(s, cmd);
  return collapse_spaces(s);
}

// ---------------------------------------------------------------------------------------------
// Units.

struct UnitName {
  const char* written;
  const char* canonical;
};
const std::array<UnitName, 58> kUnits = {{
    {"cm", "cm"},       {"centimeter", "cm"}, {"centimetre", "cm"}, {"mm", "mm"},         {"millimeter", "mm"},
    {"km", "km"},       {"kilometer", "km"},  {"kilometre", "km"},  {"m", "m"},           {"meter", "m"},
    {"metre", "m"},     {"kg", "kg"},         {"kilogram", "kg"},   {"g", "g"},           {"gram", "g"},
    {"mg", "mg"},       {"s", "second"},      {"sec", "second"},    {"second", "second"}, {"min", "minute"},
    {"minute", "minute"}, {"h", "hour"},      {"hr", "hour"},       {"hour", "hour"},     {"day", "day"},
    {"week", "week"},   {"month", "month"},   {"year", "year"},     {"yr", "year"},       {"in", "inch"},
    {"inch", "inch"},   {"ft", "foot"},       {"foot", "foot"},     {"feet", "foot"},     {"yd", "yard"},
    {"yard", "yard"},   {"mi", "mile"},       {"mile", "mile"},     {"l", "liter"},       {"liter", "liter"},
    {"litre", "liter"}, {"ml", "ml"},         {"degree", "deg"},    {"deg", "deg"},       {"unit", "unit"},
    {"dollar", "dollar"}, {"cent", "cent"},   {"mph", "mph"},       {"kmh", "km/h"},      {"km/h", "km/h"},
    {"m/s", "m/s"},     {"point", "point"},   {"people", "person"}, {"person", "person"}, {"student", "student"},
    {"apple", "apple"}, {"page", "page"},     {"mile", "mile"},
}};

std::optional<std::string> known_unit(std::string word) {
  for (auto& c : word) c = to_lower(c);
  for (const std::string& candidate : {word, word.size() > 3 && ends_with(word, "es") ? word.substr(0, word.size() - 2) : "",
                                       word.size() > 2 && ends_with(word, "s") ? word.substr(0, word.size() - 1) : ""}) {
    if (candidate.empty()) continue;
    for (const auto& unit : kUnits) {
      if (candidate == unit.written) return std::string(unit.canonical);
    }
  }
  return std::nullopt;
}

// Normalised unit of free text (`\text{ cm}` content plus a power): known words mapped, others
// lower-cased; `square X` is X^2.
std::string normalize_unit(const std::string& text, const std::string& power) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (is_alpha(c) || c == '/') {
      word.push_back(to_lower(c));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  std::string out, exponent = power;
  for (const auto& w : words) {
    if (w == "square" || w == "sq") {
      exponent = "2";
      continue;
    }
    if (w == "cubic") {
      exponent = "3";
      continue;
    }
    if (!out.empty()) out += ' ';
    out += known_unit(w).value_or(w);
  }
  if (!exponent.empty() && !out.empty()) out += "^" + exponent;
  return out;
}

// A trailing power `^2`, `^{2}` at the end of s: returns its digit and removes it.
std::string take_power(std::string& s) {
  s = trim(s);
  for (const char* form : {"^{2}", "^{3}", "^2", "^3"}) {
    if (ends_with(s, form)) {
      const std::string digit(1, form[std::strlen(form) - (form[1] == '{' ? 2 : 1)]);
      s = trim(s.substr(0, s.size() - std::strlen(form)));
      return digit;
    }
  }
  return "";
}

bool head_can_carry_unit(const std::string& head) {
  if (head.empty()) return false;
  const char last = head.back();
  return is_digit(last) || last == '}' || last == ')' || last == '.' || ends_with(head, "\\pi");
}

// Splits a trailing unit off `s` (degrees, `\text{...}` words, known unit words); returns it.
std::string take_unit(std::string& s) {
  for (const char* degree : {"^{\\circ}", "^\\circ", "\\circ", "\\degree", "^{o}"}) {
    for (const char* scale : {"", "C", "F", "\\text{C}", "\\mathrm{C}"}) {
      const std::string suffix = std::string(degree) + scale;
      if (ends_with(s, suffix) && s.size() > suffix.size()) {
        s = trim(s.substr(0, s.size() - suffix.size()));
        return std::string("deg") + (std::strlen(scale) ? "C" : "");
      }
    }
  }
  std::string head = s;
  const std::string power = take_power(head);
  for (const char* cmd : {"\\text{", "\\mbox{", "\\mathrm{", "\\textrm{", "\\textnormal{"}) {
    const size_t pos = head.rfind(cmd);
    size_t end = 0;
    if (pos == std::string::npos || pos == 0) continue;
    auto unit = brace_group(head, pos + std::strlen(cmd) - 1, &end);
    if (!unit || end != head.size()) continue;
    const std::string before = trim(head.substr(0, pos));
    const bool words = std::all_of(unit->begin(), unit->end(), [](char c) { return is_alpha(c) || c == ' ' || c == '/' || c == '.'; });
    if (words && std::any_of(unit->begin(), unit->end(), is_alpha) && head_can_carry_unit(before)) {
      s = before;
      return normalize_unit(*unit, power);
    }
  }
  // Plain unit words at the end: `12 meters`, `36 cm^2`, `5 square feet`.
  head = unwrap_text_commands(s);
  const std::string plain_power = take_power(head);
  const size_t space = head.find_last_of(' ');
  if (space == std::string::npos) return "";
  const std::string word = head.substr(space + 1);
  std::string before = trim(head.substr(0, space));
  const auto unit = known_unit(word);
  if (!unit) return "";
  std::string exponent = plain_power;
  for (const char* square : {" square", " sq"}) {
    if (ends_with(before, square)) {
      before = trim(before.substr(0, before.size() - std::strlen(square)));
      exponent = "2";
    }
  }
  if (!head_can_carry_unit(before)) return "";
  s = before;
  return *unit + (exponent.empty() ? "" : "^" + exponent);
}

// ---------------------------------------------------------------------------------------------
// LaTeX -> GiNaC parser syntax, with exact decimals and explicit multiplication. Variables are
// `v_<name>` so that no letter collides with GiNaC's names (I, E, beta, ...).

const std::array<const char*, 24> kGreek = {"alpha", "beta",  "gamma", "delta", "epsilon", "varepsilon", "zeta",  "eta",
                                            "theta", "vartheta", "iota", "kappa", "lambda", "mu", "nu", "xi",
                                            "rho",   "sigma", "tau",   "phi",   "varphi",  "chi",   "psi",   "omega"};

class Converter {
 public:
  std::optional<std::string> run(const std::string& s) {
    if (!convert(s, 0) || out_.empty()) return std::nullopt;
    // Balanced parentheses and no empty pair: GiNaC's parser crashes on a call without
    // arguments such as `sin()` (GiNaC 1.8), so such text never reaches it.
    int depth = 0;
    for (size_t i = 0; i < out_.size(); ++i) {
      if (out_[i] == '(' && i + 1 < out_.size() && out_[i + 1] == ')') return std::nullopt;
      depth += out_[i] == '(' ? 1 : out_[i] == ')' ? -1 : 0;
      if (depth < 0) return std::nullopt;
    }
    if (depth != 0) return std::nullopt;
    if (!out_.empty() && std::strchr("+-*/^", out_.back())) return std::nullopt;
    return out_;
  }
  bool has_symbol() const { return has_symbol_; }

 private:
  // Emits the start of an operand, with a '*' for implicit multiplication after an operand.
  void operand(const std::string& text) {
    if (after_operand_) out_ += '*';
    out_ += text;
    after_operand_ = true;
    after_symbol_ = false;
  }
  void symbol(const std::string& name) {
    operand("v_" + name);
    after_symbol_ = true;
    has_symbol_ = true;
  }
  void op(const std::string& text) {
    out_ += text;
    after_operand_ = false;
    after_symbol_ = false;
  }

  // One argument of a command: a brace group or a single character; converted into last_argument_.
  bool argument(const std::string& s, size_t& i, int depth) {
    while (i < s.size() && s[i] == ' ') ++i;
    if (i >= s.size()) return false;
    std::string inner;
    if (s[i] == '{') {
      size_t end = 0;
      auto group = brace_group(s, i, &end);
      if (!group) return false;
      inner = *group;
      i = end;
    } else if (s[i] == '\\') {
      size_t j = i + 1;
      while (j < s.size() && is_alpha(s[j])) ++j;
      inner = s.substr(i, j - i);
      i = j;
    } else {
      inner = s.substr(i, 1);
      ++i;
    }
    Converter sub;
    sub.exponent_product_ = exponent_product_;
    if (!sub.convert(inner, depth + 1) || sub.out_.empty()) return false;
    if (std::strchr("+-*/^", sub.out_.back())) return false;
    exponent_product_ = sub.exponent_product_;
    has_symbol_ = has_symbol_ || sub.has_symbol_;
    last_argument_ = sub.out_;
    return true;
  }

  // The argument of a function written without parentheses: a whole number (\log_2 32), else
  // one argument.
  bool function_argument(const std::string& s, size_t& i, int depth) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t run = i;
    while (run < s.size() && (is_digit(s[run]) || s[run] == '.')) ++run;
    if (run > i + 1) {
      std::string group = "{" + s.substr(i, run - i) + "}";
      size_t k = 0;
      if (!argument(group, k, depth)) return false;
      i = run;
      return true;
    }
    return argument(s, i, depth);
  }

  bool number(const std::string& s, size_t& i) {
    std::string digits;
    size_t decimals = 0;
    bool point = false;
    while (i < s.size() && (is_digit(s[i]) || (s[i] == '.' && !point))) {
      if (s[i] == '.') {
        point = true;
      } else {
        digits += s[i];
        if (point) ++decimals;
      }
      ++i;
    }
    if (digits.empty() || digits.size() > 400) return false;
    std::string text = decimals ? "(" + digits + "/1" + std::string(decimals, '0') + ")" : digits;
    // A repeating decimal 0.1\overline{6}: the digits under the bar repeat forever.
    if (point && s.compare(i, 10, "\\overline{") == 0) {
      size_t end = 0;
      auto bar = brace_group(s, i + 9, &end);
      if (!bar || bar->empty() || bar->size() > 12 || !std::all_of(bar->begin(), bar->end(), is_digit)) return false;
      // value = digits/10^decimals + bar / (10^decimals * (10^len - 1))
      text = "(" + digits + "/1" + std::string(decimals, '0') + "+" + *bar + "/(1" + std::string(decimals, '0') +
             "*(1" + std::string(bar->size(), '0') + "-1)))";
      i = end;
    }
    // Scientific notation 1.5e3 / 2E-4 (an `e` not followed by a digit is the symbol e).
    if (i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      size_t j = i + 1;
      const bool negative = s[j] == '-';
      if (s[j] == '-' || s[j] == '+') ++j;
      size_t start = j;
      while (j < s.size() && is_digit(s[j])) ++j;
      if (j > start) {
        if (j - start > 4 || std::stoi(s.substr(start, j - start)) > 1000) return false;
        text = "(" + text + "*10^(" + (negative ? "-" : "") + s.substr(start, j - start) + "))";
        i = j;
      }
    }
    // A mixed number 3\frac{1}{2} (integer literals only) is 3 + 1/2.
    if (!point && text == digits && s.compare(i, 6, "\\frac{") == 0) {
      size_t end_numerator = 0, end_denominator = 0;
      auto numerator = brace_group(s, i + 5, &end_numerator);
      auto denominator = numerator && end_numerator < s.size() && s[end_numerator] == '{'
                             ? brace_group(s, end_numerator, &end_denominator)
                             : std::nullopt;
      auto digits_only = [](const std::optional<std::string>& t) {
        return t && !t->empty() && t->size() < 10 && std::all_of(t->begin(), t->end(), is_digit);
      };
      if (digits_only(numerator) && digits_only(denominator)) {
        text = "(" + digits + "+" + *numerator + "/" + *denominator + ")";
        i = end_denominator;
      }
    }
    // A factorial of an integer literal: 7! (at most 1000!).
    if (!point && text == digits && i < s.size() && s[i] == '!') {
      if (digits.size() > 4 || std::stoi(digits) > 1000) return false;
      text = "factorial(" + digits + ")";
      ++i;
    }
    operand(text);
    return true;
  }

  bool function(const std::string& name, const std::string& s, size_t& i, int depth) {
    if (name == "log" && i < s.size() && s[i] == '_') {  // \log_{b} x = log(x) / log(b)
      ++i;
      if (!argument(s, i, depth)) return false;
      const std::string base = last_argument_;
      if (!function_argument(s, i, depth)) return false;
      operand("(log(" + last_argument_ + ")/log(" + base + "))");
      return true;
    }
    static const std::array<std::pair<const char*, const char*>, 8> kFunctions = {
        {{"sin", "sin"}, {"cos", "cos"}, {"tan", "tan"}, {"ln", "log"}, {"log", "log"}, {"exp", "exp"},
         {"arctan", "atan"}, {"sqrt", "sqrt"}}};
    for (const auto& [latex, ginac] : kFunctions) {
      if (name != latex) continue;
      while (i < s.size() && s[i] == ' ') ++i;
      if (i < s.size() && s[i] == '(') {  // \sin(x): the parenthesis becomes the call's
        operand(ginac);
        after_operand_ = false;
        return true;
      }
      if (!function_argument(s, i, depth)) return false;
      operand(std::string(ginac) + "(" + last_argument_ + ")");
      return true;
    }
    return false;
  }

  bool command(const std::string& s, size_t& i, int depth) {
    size_t j = i + 1;
    while (j < s.size() && is_alpha(s[j])) ++j;
    const std::string name = s.substr(i + 1, j - i - 1);
    i = j;
    if (name == "frac") {
      if (!argument(s, i, depth)) return false;
      const std::string numerator = last_argument_;
      if (!argument(s, i, depth)) return false;
      operand("((" + numerator + ")/(" + last_argument_ + "))");
      return true;
    }
    if (name == "sqrt") {
      std::string root;
      if (i < s.size() && s[i] == '[') {
        const size_t close = s.find(']', i);
        if (close == std::string::npos) return false;
        Converter sub;
        if (!sub.convert(s.substr(i + 1, close - i - 1), depth + 1) || sub.out_.empty()) return false;
        root = sub.out_;
        i = close + 1;
      }
      if (!argument(s, i, depth)) return false;
      operand(root.empty() ? "sqrt(" + last_argument_ + ")" : "((" + last_argument_ + ")^(1/(" + root + ")))");
      return true;
    }
    if (name == "pi") {
      operand("Pi");
      return true;
    }
    if (name == "binom" || name == "dbinom" || name == "tbinom") {
      if (!argument(s, i, depth)) return false;
      const std::string n = last_argument_;
      if (!argument(s, i, depth)) return false;
      operand("binomial(" + n + "," + last_argument_ + ")");
      return true;
    }
    if (name == "infty" || name == "infin") {
      symbol("infty");
      after_symbol_ = false;
      return true;
    }
    if (name == "cdot" || name == "times" || name == "ast") {
      op("*");
      return true;
    }
    if (name == "div") {
      op("/");
      return true;
    }
    for (const char* greek : kGreek) {
      if (name == greek) {
        symbol(name);
        return true;
      }
    }
    return function(name, s, i, depth);  // any other command: unparseable
  }

  bool convert(const std::string& s, int depth) {
    if (depth > kMaxNesting) return false;
    size_t i = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == ' ' || c == '\t' || c == '\n') {
        ++i;
      } else if (is_digit(c) || (c == '.' && i + 1 < s.size() && is_digit(s[i + 1]))) {
        if (!number(s, i)) return false;
      } else if (is_alpha(c)) {
        size_t j = i;
        while (j < s.size() && is_alpha(s[j])) ++j;
        const std::string word = s.substr(i, j - i);
        if (word.size() == 1) {
          symbol(word);
          i = j;
        } else if (word == "pi") {
          operand("Pi");
          i = j;
        } else {
          i = j;
          // A run of letters is prose ("no solution"), not math, unless it names a function.
          if (!function(word, s, i, depth)) return false;
        }
      } else if (c == '_' && after_symbol_) {  // subscript: x_1, x_{12}, a_n
        ++i;
        std::string sub;
        if (i < s.size() && s[i] == '{') {
          size_t end = 0;
          auto group = brace_group(s, i, &end);
          if (!group) return false;
          sub = *group;
          i = end;
        } else if (i < s.size()) {
          sub = s.substr(i++, 1);
        }
        if (sub.empty() || sub.size() > 8 || !std::all_of(sub.begin(), sub.end(), [](char x) { return std::isalnum(static_cast<unsigned char>(x)) != 0; })) {
          return false;
        }
        out_ += "_" + sub;
        after_symbol_ = false;
      } else if (c == '\\') {
        if (!command(s, i, depth)) return false;
      } else if (c == '{') {
        if (!argument(s, i, depth)) return false;
        operand("(" + last_argument_ + ")");
      } else if (c == '(' || c == '[') {
        if (after_operand_) out_ += '*';
        op("(");
        ++i;
      } else if (c == ')' || c == ']') {
        if (!out_.empty() && std::strchr("+-*/", out_.back())) return false;  // `(-)`: no operand
        out_ += ')';
        after_operand_ = true;
        after_symbol_ = false;
        ++i;
      } else if (c == '+' || c == '-' || c == '*' || c == '/') {
        // `*` and `/` need a left operand; no operator follows another except a sign.
        if ((c == '*' || c == '/') && (out_.empty() || out_.back() == '(' || out_.back() == ',')) return false;
        if (!out_.empty() && std::strchr("+-*/", out_.back()) && c != '-' && c != '+') return false;
        op(std::string(1, c));
        ++i;
      } else if (c == '^') {
        ++i;
        if (!after_operand_) return false;
        while (i < s.size() && s[i] == ' ') ++i;
        size_t run = i;
        while (run < s.size() && is_digit(s[run])) ++run;
        if (run > i + 1) {  // plain `10^23`: the whole run of digits is the exponent
          std::string digits = "{" + s.substr(i, run - i) + "}";
          size_t k = 0;
          if (!argument(digits, k, depth)) return false;
          i = run;
        } else if (!argument(s, i, depth)) {
          return false;
        }
        if (last_argument_.find('^') != std::string::npos) return false;  // no towers of powers
        for (size_t k = 0; k < last_argument_.size();) {
          if (!is_digit(last_argument_[k])) {
            ++k;
            continue;
          }
          size_t end = k;
          while (end < last_argument_.size() && is_digit(last_argument_[end])) ++end;
          if (end - k > 5) return false;
          exponent_product_ *= std::max<int64_t>(1, std::stoll(last_argument_.substr(k, end - k)));
          if (exponent_product_ > kMaxExponentProduct) return false;
          k = end;
        }
        out_ += "^(" + last_argument_ + ")";
        after_operand_ = true;
        after_symbol_ = false;
      } else {
        return false;
      }
    }
    return true;
  }

  std::string out_;
  std::string last_argument_;
  bool after_operand_ = false;
  bool after_symbol_ = false;
  bool has_symbol_ = false;
  int64_t exponent_product_ = 1;
};

// ---------------------------------------------------------------------------------------------
// Reading text into the typed model.

bool is_bracket_open(char c) { return c == '(' || c == '[' || c == '{'; }
bool is_bracket_close(char c) { return c == ')' || c == ']' || c == '}'; }

// Splits at `separator` (one character) outside brackets and brace groups.
std::vector<std::string> split_top_level(const std::string& s, char separator) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '{' || s[i + 1] == '}')) {
      depth += s[i + 1] == '{' ? 1 : -1;
      ++i;
      continue;
    }
    if (is_bracket_open(c)) ++depth;
    if (is_bracket_close(c)) --depth;
    if (c == separator && depth == 0) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

// Splits at a top-level command word such as `\cup` (not followed by a letter).
std::vector<std::string> split_top_level_word(const std::string& s, const std::string& word) {
  std::vector<std::string> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (is_bracket_open(c)) ++depth;
    if (is_bracket_close(c)) --depth;
    if (depth == 0 && s.compare(i, word.size(), word) == 0 &&
        (i + word.size() >= s.size() || !is_alpha(s[i + word.size()]))) {
      parts.push_back(trim(s.substr(start, i - start)));
      start = i + word.size();
      i = start - 1;
    }
  }
  parts.push_back(trim(s.substr(start)));
  return parts;
}

// Whether s[0] is a bracket whose match is the last character (the text is one bracketed group).
bool one_bracketed_group(const std::string& s) {
  if (s.size() < 2 || (s[0] != '(' && s[0] != '[') || (s.back() != ')' && s.back() != ']')) return false;
  int depth = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size() && (s[i + 1] == '{' || s[i + 1] == '}')) {
      ++i;
      continue;
    }
    if (is_bracket_open(s[i])) ++depth;
    if (is_bracket_close(s[i])) --depth;
    if (depth == 0 && i + 1 < s.size()) return false;
  }
  return depth == 0;
}

// A number written with thousands separators (`1,234,567`, `67 200`, `6,500.5`): the digits alone.
std::optional<std::string> thousands_number(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t lead = 0;
  while (i + lead < s.size() && is_digit(s[i + lead])) ++lead;
  if (lead == 0 || lead > 3) return std::nullopt;
  std::string out = s.substr(0, i + lead);
  size_t k = i + lead;
  const char separator = k < s.size() ? s[k] : 0;
  if (separator != ',' && separator != ' ') return std::nullopt;
  int groups = 0;
  while (k < s.size() && s[k] == separator) {
    if (k + 4 > s.size() || !is_digit(s[k + 1]) || !is_digit(s[k + 2]) || !is_digit(s[k + 3])) return std::nullopt;
    if (k + 4 < s.size() && is_digit(s[k + 4])) return std::nullopt;
    out += s.substr(k + 1, 3);
    k += 4;
    ++groups;
  }
  if (groups == 0) return std::nullopt;
  if (k < s.size() && s[k] == '.') {
    out += '.';
    ++k;
    while (k < s.size() && is_digit(s[k])) out += s[k++];
  }
  if (k != s.size()) return std::nullopt;
  return out;
}

// A choice letter: `(C)`, `(C) 1680`, `C`, `C)`, `C: 1680`, `C. 1680`; the rest into *rest.
std::optional<char> choice_letter(const std::string& text, std::string* rest) {
  const std::string s = trim(text);
  if (s.size() >= 3 && s[0] == '(' && is_alpha(s[1]) && s[2] == ')') {
    const char letter = to_upper(s[1]);
    if (letter < 'A' || letter > 'J') return std::nullopt;
    *rest = trim(s.substr(3));
    if (!rest->empty() && std::strchr("+-*/^=_", (*rest)[0])) return std::nullopt;
    return letter;
  }
  if (s.size() == 1 && s[0] >= 'A' && s[0] <= 'J') {
    rest->clear();
    return s[0];
  }
  if (s.size() >= 2 && s[0] >= 'A' && s[0] <= 'J' &&
      (s[1] == ')' || s[1] == ':' || (s[1] == '.' && s.size() > 2 && s[2] == ' '))) {
    *rest = trim(s.substr(2));
    return s[0];
  }
  return std::nullopt;
}

bool is_text_words(const std::string& s) {
  if (s.empty() || s.size() > 80) return false;
  bool letter = false;
  for (char c : s) {
    if (is_alpha(c)) {
      letter = true;
    } else if (!(is_digit(c) || c == ' ' || c == '-' || c == '\'')) {
      return false;
    }
  }
  return letter;
}

std::string lower_words(const std::string& s) {
  std::string out = collapse_spaces(s);
  for (auto& c : out) c = to_lower(c);
  return out;
}

// Words that are answers in their own right, readable as a gold without `\text{}`.
bool is_common_text_answer(const std::string& text) {
  static const std::array<const char*, 27> kWords = {
      "yes",       "no",        "true",    "false",  "none",     "no solution", "no solutions", "infinitely many",
      "undefined", "does not exist", "dne", "even",  "odd",      "neither",  "both",        "impossible",
      "never",     "always",    "monday",  "tuesday", "wednesday", "thursday", "friday",     "saturday",
      "sunday",    "increasing", "decreasing"};
  const std::string words = lower_words(text);
  return std::any_of(kWords.begin(), kWords.end(), [&](const char* w) { return words == w; });
}

// Whether the whole text is one `\text{...}`-like group.
bool wholly_text_command(const std::string& s) {
  for (const char* cmd : kTextCommands) {
    const std::string open = std::string(cmd) + "{";
    size_t end = 0;
    if (starts_with(s, open) && brace_group(s, open.size() - 1, &end) && end == s.size()) return true;
  }
  return false;
}

struct Reader {
  bool plain_text_ok = true;  // answers may be plain words; a gold must write `\text{...}`
  int depth = 0;

  std::optional<ParsedAnswer> node(std::string s) {
    s = strip_decoration(s);
    // Nesting of sets, tuples and relations (depth counts the open node() calls).
    struct Nesting {
      int& depth;
      ~Nesting() { --depth; }
    } nesting{++depth};
    if (s.empty() || depth > 12) return std::nullopt;
    // `x \in [2, 5]`: the set itself.
    if (s.size() > 5 && is_alpha(s[0]) && starts_with(s.substr(1), " \\in ")) s = trim(s.substr(5));
    // `x = 2 or x = 3`, `2 and 3`: a list.
    for (const char* conjunction : {"\\text{ or }", "\\text{or}", "\\text{ and }", "\\text{and}", " or ", " and "}) {
      replace_all(s, conjunction, ", ");
    }
    // \pm and \mp: the set of both signs.
    for (const char* pm : {"\\pm", "\\mp"}) {
      const size_t pos = s.find(pm);
      if (pos == std::string::npos || s.find(pm, pos + 1) != std::string::npos) continue;
      ParsedAnswer set;
      set.kind = AnswerKind::kSet;
      set.open = '{';
      set.close = '}';
      for (const char* sign : {"+", "-"}) {
        std::string branch = s;
        branch.replace(pos, std::strlen(pm), sign);
        auto item = node(branch);
        if (!item) return std::nullopt;
        set.items.push_back(*item);
      }
      return set;
    }
    // Sets in braces.
    if (starts_with(s, "\\{") && ends_with(s, "\\}")) {
      const std::string inner = trim(s.substr(2, s.size() - 4));
      return collection(inner, AnswerKind::kSet, '{', '}');
    }
    if (s == "\\emptyset" || s == "\\varnothing" || s == "\\{\\}") {
      ParsedAnswer set;
      set.kind = AnswerKind::kSet;
      set.open = '{';
      set.close = '}';
      return set;
    }
    // Unions of intervals.
    auto pieces = split_top_level_word(s, "\\cup");
    if (pieces.size() > 1 && pieces.size() <= kMaxItems) {
      ParsedAnswer united;
      united.kind = AnswerKind::kInterval;
      united.open = united.close = 'U';
      for (const auto& piece : pieces) {
        auto item = node(piece);
        if (!item || (item->kind != AnswerKind::kInterval && item->kind != AnswerKind::kTuple &&
                      item->kind != AnswerKind::kSet)) {
          return std::nullopt;
        }
        united.items.push_back(*item);
      }
      return united;
    }
    // Tuples and intervals.
    if (one_bracketed_group(s)) {
      const std::string inner = s.substr(1, s.size() - 2);
      if (split_top_level(inner, ',').size() > 1) {
        const bool interval = s[0] == '[' || s.back() == ']' || inner.find("\\infty") != std::string::npos;
        return collection(inner, interval ? AnswerKind::kInterval : AnswerKind::kTuple, s[0], s.back());
      }
    }
    // A bare list `1, 2, 3` (a number with thousands separators is no list).
    if (!thousands_number(s) && split_top_level(s, ',').size() > 1) {
      auto list = collection(s, AnswerKind::kSet, 0, 0);
      if (list && std::all_of(list->items.begin(), list->items.end(),
                              [](const ParsedAnswer& item) { return item.kind != AnswerKind::kText; })) {
        return list;
      }
      if (list) return std::nullopt;
    }
    return relation(s);
  }

  std::optional<ParsedAnswer> collection(const std::string& inner, AnswerKind kind, char open, char close) {
    ParsedAnswer out;
    out.kind = kind;
    out.open = open;
    out.close = close;
    if (trim(inner).empty()) return kind == AnswerKind::kSet ? std::optional<ParsedAnswer>(out) : std::nullopt;
    auto parts = split_top_level(inner, ',');
    if (parts.size() == 1 && kind == AnswerKind::kSet) parts = split_top_level(inner, ';');
    if (parts.size() > kMaxItems) return std::nullopt;
    for (const auto& part : parts) {
      auto item = node(part);
      if (!item) return std::nullopt;
      out.items.push_back(*item);
    }
    return out;
  }

  // Equations and inequalities at top level, else a leaf.
  std::optional<ParsedAnswer> relation(const std::string& s) {
    struct Found {
      size_t pos, size;
      std::string relation;
    };
    std::vector<Found> found;
    int depth = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const char c = s[i];
      if (is_bracket_open(c)) ++depth;
      if (is_bracket_close(c)) --depth;
      if (depth != 0) continue;
      if (c == '=') found.push_back({i, 1, "="});
      if (c == '<') found.push_back({i, 1, "<"});
      if (c == '>') found.push_back({i, 1, ">"});
      if (c == '\\' && s.compare(i, 3, "\\le") == 0 && (i + 3 >= s.size() || !is_alpha(s[i + 3]))) found.push_back({i, 3, "<="});
      if (c == '\\' && s.compare(i, 3, "\\ge") == 0 && (i + 3 >= s.size() || !is_alpha(s[i + 3]))) found.push_back({i, 3, ">="});
      if (c == '\\' && s.compare(i, 3, "\\ne") == 0 && (i + 3 >= s.size() || !is_alpha(s[i + 3]))) return std::nullopt;
    }
    if (found.empty()) return leaf(s);
    if (found.size() > 4) return std::nullopt;
    const bool all_equal = std::all_of(found.begin(), found.end(), [](const Found& f) { return f.relation == "="; });
    if (all_equal) {
      // `x = 2 + 3 = 5`: the first side and the last.
      auto lhs = leaf(s.substr(0, found.front().pos));
      auto rhs = node(s.substr(found.back().pos + 1));
      if (!lhs || !rhs) return std::nullopt;
      ParsedAnswer eq;
      eq.kind = AnswerKind::kEquation;
      eq.items = {*lhs, *rhs};
      return eq;
    }
    if (found.size() == 2 && found[0].relation[0] == found[1].relation[0] && found[0].relation[0] == '<') {
      // `a < x \le b`: the interval (a, b].
      auto low = leaf(s.substr(0, found[0].pos));
      auto middle = leaf(s.substr(found[0].pos + found[0].size, found[1].pos - found[0].pos - found[0].size));
      auto high = leaf(s.substr(found[1].pos + found[1].size));
      if (!low || !middle || !high) return std::nullopt;
      ParsedAnswer interval;
      interval.kind = AnswerKind::kInterval;
      interval.open = found[0].relation == "<" ? '(' : '[';
      interval.close = found[1].relation == "<" ? ')' : ']';
      interval.text = middle->text;  // the variable
      interval.items = {*low, *high};
      return interval;
    }
    if (found.size() != 1) return std::nullopt;
    auto lhs = leaf(s.substr(0, found[0].pos));
    auto rhs = leaf(s.substr(found[0].pos + found[0].size));
    if (!lhs || !rhs) return std::nullopt;
    ParsedAnswer rel;
    rel.kind = AnswerKind::kInequality;
    rel.relation = found[0].relation;
    rel.items = {*lhs, *rhs};
    return rel;
  }

  std::optional<ParsedAnswer> leaf(const std::string& raw) {
    std::string s = strip_decoration(raw);
    if (s.empty()) return std::nullopt;
    const bool text_group = wholly_text_command(s);
    // Choice letters.
    {
      std::string rest;
      if (auto letter = choice_letter(unwrap_text_commands(s), &rest)) {
        ParsedAnswer choice;
        choice.kind = AnswerKind::kChoice;
        choice.text = std::string(1, *letter);
        if (!rest.empty()) {
          auto value = leaf(rest);
          if (value && value->kind != AnswerKind::kText) choice.items.push_back(*value);
          if (value) choice.math = value->math;
        }
        return choice;
      }
    }
    ParsedAnswer out;
    if (ends_with(s, "\\%") || ends_with(s, "%")) {
      s = trim(s.substr(0, s.size() - (ends_with(s, "\\%") ? 2 : 1)));
      out.percent = true;
    } else {
      for (const char* word : {"\\text{ percent}", "\\text{percent}", " percent"}) {
        if (ends_with(s, word) && s.size() > std::strlen(word)) {
          s = trim(s.substr(0, s.size() - std::strlen(word)));
          out.percent = true;
          break;
        }
      }
    }
    out.unit = take_unit(s);
    std::string math = unwrap_text_commands(s);
    if (auto plain = thousands_number(math)) math = *plain;
    out.text = math;
    if (math.empty()) return std::nullopt;
    Converter converter;
    if (auto syntax = converter.run(math)) {
      out.kind = converter.has_symbol() ? AnswerKind::kExpression : AnswerKind::kNumber;
      out.math = *syntax;
      return out;
    }
    if ((text_group || plain_text_ok || is_common_text_answer(math)) && out.unit.empty() && !out.percent &&
        is_text_words(math)) {
      out.kind = AnswerKind::kText;
      out.text = lower_words(math);
      out.math.clear();
      return out;
    }
    return std::nullopt;
  }
};

std::optional<ParsedAnswer> read_answer(const std::string& text, bool plain_text_ok) {
  if (text.size() > kMaxAnswerBytes) return std::nullopt;
  Reader reader;
  reader.plain_text_ok = plain_text_ok;
  return reader.node(clean_latex(text));
}

// ---------------------------------------------------------------------------------------------
// Extraction.

std::string lower_ascii(const std::string& s) {
  std::string out = s;
  for (auto& c : out) c = to_lower(c);
  return out;
}

// Math delimited at the start of s (`$...$`, `$$...$$`, `\(...\)`, `\[...\]`).
std::optional<std::string> leading_math(const std::string& s) {
  for (const auto& [open, close] : {std::make_pair("$$", "$$"), std::make_pair("$", "$"), std::make_pair("\\(", "\\)"),
                                    std::make_pair("\\[", "\\]")}) {
    const size_t open_size = std::strlen(open);
    if (s.compare(0, open_size, open) != 0) continue;
    const size_t end = s.find(close, open_size);
    if (end == std::string::npos) return std::nullopt;
    return s.substr(open_size, end - open_size);
  }
  return std::nullopt;
}

// The answer after the last "answer" phrase: `Final Answer: $8$`, `the answer is 12`.
std::optional<std::string> anchored_answer(const std::string& text) {
  const std::string lower = lower_ascii(text);
  size_t anchor = lower.rfind("answer");
  while (anchor != std::string::npos) {
    size_t pos = anchor + 6;
    // "Final Answer" stands alone; a bare "answer" needs a connector (`:`, `=`, "is", ...).
    bool connected = anchor >= 6 && lower.compare(anchor - 6, 6, "final ") == 0;
    for (bool skipped = true; skipped && pos < text.size();) {
      skipped = false;
      while (pos < text.size() && (is_space(text[pos]) || text[pos] == ':' || text[pos] == '*' || text[pos] == '=')) {
        connected = connected || text[pos] == ':' || text[pos] == '=';
        ++pos;
        skipped = true;
      }
      for (const char* filler : {"is", "should be", "would be", "will be", "must be", "equals"}) {
        const size_t n = std::strlen(filler);
        if (lower.compare(pos, n, filler) == 0 && (pos + n >= text.size() || !is_alpha(text[pos + n]))) {
          pos += n;
          skipped = connected = true;
        }
      }
    }
    if (!connected) {
      if (anchor == 0) break;
      anchor = lower.rfind("answer", anchor - 1);
      continue;
    }
    const std::string rest = text.substr(std::min(pos, text.size()), 4 * kMaxAnswerBytes);  // bounded copy
    if (auto math = leading_math(rest)) return *math;
    std::string line = rest.substr(0, rest.find('\n'));
    for (const char* stop : {". ", " because", ", because", " since", ", since", ", which", " which", ", so "}) {
      const size_t cut = line.find(stop);
      if (cut != std::string::npos) line = line.substr(0, cut);
    }
    line = strip_decoration(line);
    if (!line.empty() && line.size() <= 200) return line;
    if (anchor == 0) break;
    anchor = lower.rfind("answer", anchor - 1);
  }
  return std::nullopt;
}

// Prose inside an answer tag reduced to its math.
std::string refine_tag_content(const std::string& content) {
  if (auto anchored = anchored_answer(content)) return *anchored;
  // Prose around `$...$`: the last math segment.
  const size_t last = content.rfind('$');
  if (last != std::string::npos && last > 0) {
    const size_t first = content.rfind('$', last - 1);
    if (first != std::string::npos) {
      std::string outside = content.substr(0, first) + content.substr(last + 1);
      int letters = 0;
      for (char c : outside) letters = is_alpha(c) ? letters + 1 : letters;
      if (letters >= 2) return content.substr(first + 1, last - first - 1);
    }
  }
  return content;
}

// A last line that is a bare number (`...\n12`).
std::optional<std::string> last_line_number(const std::string& completion) {
  const std::string body = trim(completion);
  const size_t newline = body.find_last_of('\n');
  const std::string line = strip_decoration(newline == std::string::npos ? body : body.substr(newline + 1));
  if (line.empty() || line.size() > 40) return std::nullopt;
  const bool number = std::all_of(line.begin(), line.end(), [](char c) { return is_digit(c) || c == ',' || c == '.' || c == '-'; }) &&
                      std::any_of(line.begin(), line.end(), is_digit);
  if (!number) return std::nullopt;
  return line;
}

// ---------------------------------------------------------------------------------------------
// Equivalence.

// GiNaC is not thread-safe (shared reference counts, global Digits): one lock for all of it.
std::mutex& ginac_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::optional<GiNaC::numeric> real_value(const GiNaC::ex& e) {
  const GiNaC::ex value = e.evalf();
  if (!GiNaC::is_a<GiNaC::numeric>(value)) return std::nullopt;
  const auto number = GiNaC::ex_to<GiNaC::numeric>(value);
  if (!number.is_real()) return std::nullopt;
  return number;
}

bool close_enough(const GiNaC::numeric& a, const GiNaC::numeric& b, const GiNaC::numeric& relative) {
  // In GiNaC's numerics: a double would overflow to inf for values such as (sqrt(2)+sqrt(3))^9999.
  const GiNaC::numeric scale = std::max({GiNaC::numeric(1), abs(a), abs(b)});
  return abs(a - b) <= relative * scale;
}

bool has_decimal_point(const std::string& text) {
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    if (text[i] == '.' && is_digit(text[i + 1])) return true;
  }
  return false;
}

// When the gold is a rounded decimal (`3.14`, `0.333`, `1.505e23`, `2.4\times 10^{9}`): half a
// unit of its last written digit, exactly; nullopt otherwise.
std::optional<GiNaC::numeric> gold_half_unit(const std::string& text) {
  size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  size_t integer = 0, decimals = 0;
  while (i < text.size() && is_digit(text[i])) ++i, ++integer;
  if (integer == 0 || i >= text.size() || text[i] != '.') return std::nullopt;
  ++i;
  while (i < text.size() && is_digit(text[i])) ++i, ++decimals;
  if (decimals == 0) return std::nullopt;
  long exponent = 0;
  std::string rest = text.substr(i);
  std::string mark;
  for (const char* form : {"e", "E", "\\times10^", "\\times 10^", "\\cdot10^", "\\cdot 10^", "*10^", " \\times 10^",
                           " \\cdot 10^", " * 10^", "\\times", "\\cdot"}) {
    if (starts_with(rest, form)) {
      mark = form;
      break;
    }
  }
  if (!rest.empty()) {
    if (mark.empty()) return std::nullopt;
    std::string digits = rest.substr(mark.size());
    if (mark == "\\times" || mark == "\\cdot") {
      digits = trim(digits);
      if (!starts_with(digits, "10^")) return std::nullopt;
      digits = digits.substr(3);
    }
    if (starts_with(digits, "{") && ends_with(digits, "}")) digits = digits.substr(1, digits.size() - 2);
    digits = trim(digits);
    size_t k = (!digits.empty() && (digits[0] == '-' || digits[0] == '+')) ? 1 : 0;
    if (k >= digits.size() || digits.size() > 5 || !std::all_of(digits.begin() + static_cast<long>(k), digits.end(), is_digit)) {
      return std::nullopt;
    }
    exponent = std::stol(digits);
  }
  // 5 * 10^(exponent - decimals - 1)
  return GiNaC::numeric(5) * GiNaC::ex_to<GiNaC::numeric>(GiNaC::pow(GiNaC::numeric(10), exponent - static_cast<long>(decimals) - 1));
}

// The decimal places written in a plain decimal literal, or -1 when `text` is not one.
int written_decimals(const std::string& text) {
  const size_t point = text.find('.');
  if (point == std::string::npos) return -1;
  int n = 0;
  for (size_t i = point + 1; i < text.size() && is_digit(text[i]); ++i) ++n;
  return n;
}

// A left side that names what the answer is: `x`, `a_1`, `f(x)`, `P(2)`.
bool is_variable(const ParsedAnswer& a) {
  if (a.kind != AnswerKind::kExpression && a.kind != AnswerKind::kNumber) return false;
  const std::string& t = a.text;
  if (t.empty() || !is_alpha(t[0])) return false;
  size_t i = 1;
  if (i < t.size() && t[i] == '_') {
    ++i;
    while (i < t.size() && (std::isalnum(static_cast<unsigned char>(t[i])) || t[i] == '{' || t[i] == '}')) ++i;
  }
  if (i < t.size() && t[i] == '(' && t.back() == ')' && t.find(')') == t.size() - 1) return true;
  return i == t.size();
}

class Comparer {
 public:
  Comparer() : reader_(table()), start_(std::chrono::steady_clock::now()) {}

  bool refused() const { return refused_; }

  // Whether `answer` equals `gold` (the gold's kind decides how).
  bool equal(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (over_budget()) return false;
    switch (gold.kind) {
      case AnswerKind::kChoice:
        return equal_choice(answer, gold);
      case AnswerKind::kText:
        return answer.kind == AnswerKind::kText && answer.text == gold.text;
      case AnswerKind::kSet:
        return equal_set(answer, gold);
      case AnswerKind::kTuple:
      case AnswerKind::kInterval:
        return equal_sequence(answer, gold);
      case AnswerKind::kEquation:
        return equal_equation(answer, gold);
      case AnswerKind::kInequality:
        return equal_inequality(answer, gold);
      case AnswerKind::kNumber:
      case AnswerKind::kExpression:
        if (answer.kind == AnswerKind::kEquation && is_variable(answer.items[0])) return equal(answer.items[1], gold);
        if (answer.kind == AnswerKind::kSet && answer.open == 0 && answer.items.size() == 1) return equal(answer.items[0], gold);
        // `(E) 1680` against the gold 1680: the value written with the letter.
        if (answer.kind == AnswerKind::kChoice && !answer.items.empty()) return equal(answer.items[0], gold);
        if (answer.kind != AnswerKind::kNumber && answer.kind != AnswerKind::kExpression) return false;
        return equal_values(answer, gold);
    }
    return false;
  }

 private:
  static GiNaC::symtab table() {
    GiNaC::symtab t;
    t["Pi"] = GiNaC::Pi;
    return t;
  }

  bool over_budget() {
    if (refused_) return true;
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (elapsed > kRowBudgetSeconds) refused_ = true;
    return refused_;
  }

  bool equal_choice(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (answer.kind == AnswerKind::kChoice) return answer.text == gold.text;
    // A lower-case letter `b` reads as a variable, a word as text.
    if ((answer.kind == AnswerKind::kExpression || answer.kind == AnswerKind::kText) && answer.text.size() == 1) {
      return to_upper(answer.text[0]) == gold.text[0];
    }
    // The choice's value written alone (`1680` for `(E) 1680`).
    if (!gold.items.empty() && (answer.kind == AnswerKind::kNumber || answer.kind == AnswerKind::kExpression)) {
      return equal(answer, gold.items[0]);
    }
    return false;
  }

  bool equal_set(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (answer.kind != AnswerKind::kSet) {
      // One-element gold `\{5\}` (or a one-value list) against a bare value.
      return gold.items.size() == 1 && answer.kind != AnswerKind::kTuple && answer.kind != AnswerKind::kInterval &&
             equal(answer, gold.items[0]);
    }
    if (answer.items.size() != gold.items.size()) return false;
    std::vector<bool> used(answer.items.size(), false);
    for (const auto& g : gold.items) {
      bool matched = false;
      for (size_t k = 0; k < answer.items.size() && !matched; ++k) {
        if (!used[k] && equal(answer.items[k], g)) used[k] = matched = true;
      }
      if (!matched) return false;
    }
    return true;
  }

  // `x > 2` as the interval (2, \infty); nullopt unless one side is a variable.
  static std::optional<ParsedAnswer> inequality_as_interval(const ParsedAnswer& in) {
    if (in.kind != AnswerKind::kInequality) return std::nullopt;
    const bool left_variable = is_variable(in.items[0]);
    if (left_variable == is_variable(in.items[1])) return std::nullopt;
    const ParsedAnswer& bound = left_variable ? in.items[1] : in.items[0];
    const char direction = left_variable ? in.relation[0] : (in.relation[0] == '<' ? '>' : '<');
    const bool strict = in.relation.size() == 1;
    ParsedAnswer infinity;
    infinity.kind = AnswerKind::kExpression;
    infinity.text = "\\infty";
    infinity.math = "v_infty";
    ParsedAnswer minus_infinity = infinity;
    minus_infinity.text = "-\\infty";
    minus_infinity.math = "-v_infty";
    ParsedAnswer out;
    out.kind = AnswerKind::kInterval;
    if (direction == '>') {
      out.open = strict ? '(' : '[';
      out.close = ')';
      out.items = {bound, infinity};
    } else {
      out.open = '(';
      out.close = strict ? ')' : ']';
      out.items = {minus_infinity, bound};
    }
    return out;
  }

  bool equal_sequence(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (answer.kind == AnswerKind::kInequality && gold.kind == AnswerKind::kInterval) {
      auto as_interval = inequality_as_interval(answer);
      return as_interval && equal_sequence(*as_interval, gold);
    }
    const bool bare_list = answer.kind == AnswerKind::kSet && answer.open == 0;
    if (answer.kind != AnswerKind::kTuple && answer.kind != AnswerKind::kInterval && !bare_list) return false;
    if (!bare_list && (answer.open != gold.open || answer.close != gold.close)) return false;
    if (bare_list && gold.kind != AnswerKind::kTuple) return false;
    if (answer.items.size() != gold.items.size()) return false;
    for (size_t k = 0; k < gold.items.size(); ++k) {
      if (!equal(answer.items[k], gold.items[k])) return false;
    }
    return true;
  }

  bool equal_equation(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    const auto& gl = gold.items[0];
    const auto& gr = gold.items[1];
    if (answer.kind == AnswerKind::kEquation) {
      const auto& al = answer.items[0];
      const auto& ar = answer.items[1];
      if (equal(al, gl) && equal(ar, gr)) return true;
      if (equal(al, gr) && equal(ar, gl)) return true;
      // The same equation rearranged: lhs - rhs equal up to sign.
      if (al.math.empty() || ar.math.empty() || gl.math.empty() || gr.math.empty()) return false;
      const std::string a = "(" + al.math + ")-(" + ar.math + ")", g = "(" + gl.math + ")-(" + gr.math + ")";
      return math_equal(a, g, false, false, std::nullopt) || math_equal("-(" + a + ")", g, false, false, std::nullopt);
    }
    // `x = 5` against a bare `5`: the value, when the gold's left side is one variable.
    return is_variable(gl) && equal(answer, gr);
  }

  bool equal_inequality(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (answer.kind == AnswerKind::kInterval) {
      auto as_interval = inequality_as_interval(gold);
      return as_interval && equal_sequence(answer, *as_interval);
    }
    if (answer.kind != AnswerKind::kInequality) return false;
    auto flipped = [](const std::string& r) {
      return r == "<" ? std::string(">") : r == ">" ? std::string("<") : r == "<=" ? std::string(">=") : std::string("<=");
    };
    if (answer.relation == gold.relation) return equal(answer.items[0], gold.items[0]) && equal(answer.items[1], gold.items[1]);
    if (answer.relation == flipped(gold.relation)) {
      return equal(answer.items[1], gold.items[0]) && equal(answer.items[0], gold.items[1]);
    }
    return false;
  }

  bool equal_values(const ParsedAnswer& answer, const ParsedAnswer& gold) {
    if (!answer.unit.empty() && !gold.unit.empty() && answer.unit != gold.unit) return false;
    const auto half_unit = gold_half_unit(gold.text);
    const bool answer_decimal = has_decimal_point(answer.text);
    const bool gold_decimal = has_decimal_point(gold.text);
    std::optional<GiNaC::numeric> tolerance;
    if (half_unit) {
      // The answer must be at least as precise as the rounded gold.
      const int a_places = written_decimals(answer.text), g_places = written_decimals(gold.text);
      if (!(answer_decimal && a_places >= 0 && a_places < g_places && gold_half_unit(answer.text))) tolerance = half_unit;
    }
    if (math_equal(answer.math, gold.math, answer_decimal, gold_decimal, tolerance)) return true;
    // Percent written on one side only: 3.5% is 0.035.
    if (gold.percent && !answer.percent) {
      return math_equal("(" + answer.math + ")*100", gold.math, answer_decimal, gold_decimal, tolerance);
    }
    if (answer.percent && !gold.percent) {
      return math_equal("(" + answer.math + ")/100", gold.math, answer_decimal, gold_decimal, tolerance);
    }
    return false;
  }

  std::optional<GiNaC::ex> expr(const std::string& syntax) {
    if (syntax.empty()) return std::nullopt;
    try {
      return reader_(syntax);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  // Power of a sum with a large exponent, or too many nodes: expansion could explode.
  static bool small_enough_to_expand(const GiNaC::ex& e) {
    size_t nodes = 0;
    for (auto it = e.preorder_begin(); it != e.preorder_end(); ++it) {
      if (++nodes > 200) return false;
      if (GiNaC::is_a<GiNaC::power>(*it)) {
        const GiNaC::ex exponent = it->op(1);
        if (!GiNaC::is_a<GiNaC::numeric>(exponent) || !GiNaC::ex_to<GiNaC::numeric>(exponent).is_integer()) return false;
        if (abs(GiNaC::ex_to<GiNaC::numeric>(exponent)) > 12 && !GiNaC::is_a<GiNaC::numeric>(it->op(0))) return false;
      }
    }
    return true;
  }

  bool math_equal(const std::string& answer_syntax, const std::string& gold_syntax, bool answer_decimal, bool gold_decimal,
                  const std::optional<GiNaC::numeric>& tolerance) {
    if (over_budget()) return false;
    const auto answer = expr(answer_syntax), gold = expr(gold_syntax);
    if (!answer || !gold) return false;
    try {
      const GiNaC::ex difference = *answer - *gold;
      if (difference.is_zero()) return true;  // GiNaC's automatic evaluation alone
      GiNaC::exset symbols;
      const GiNaC::ex both = GiNaC::lst{*answer, *gold};
      for (auto it = both.preorder_begin(); it != both.preorder_end(); ++it) {
        if (GiNaC::is_a<GiNaC::symbol>(*it)) symbols.insert(*it);
      }
      if (symbols.empty()) {
        const auto a = real_value(*answer), g = real_value(*gold);
        if (!a || !g) return false;
        if (tolerance) return abs(*a - *g) <= *tolerance * GiNaC::numeric(1000000001, 1000000000);
        // Exact golds stay exact: two rationals are equal only exactly, and a decimal answer is no
        // value of an irrational gold (3.14 is not pi, 1.414 is not sqrt(2)).
        const bool answer_rational = GiNaC::is_a<GiNaC::numeric>(*answer) && GiNaC::ex_to<GiNaC::numeric>(*answer).is_rational();
        const bool gold_rational = GiNaC::is_a<GiNaC::numeric>(*gold) && GiNaC::ex_to<GiNaC::numeric>(*gold).is_rational();
        if (answer_rational && gold_rational) return false;
        if (answer_decimal && !gold_decimal) return false;
        return close_enough(*a, *g, GiNaC::numeric(1, 1000000000000));
      }
      for (const auto& symbol : symbols) {
        // Infinity is a symbol here: only identical forms match (handled above).
        if (GiNaC::ex_to<GiNaC::symbol>(symbol).get_name() == "v_infty") return false;
      }
      if (small_enough_to_expand(difference) && difference.expand().is_zero()) return true;
      // Polynomial identity testing: equal at three fixed points (each variable distinct).
      for (const double base : {0.7318, 1.4142, 2.6180}) {
        if (over_budget()) return false;
        GiNaC::exmap values;
        double offset = 0.0;
        for (const auto& symbol : symbols) values[symbol] = GiNaC::numeric(base + (offset += 0.1113));
        const auto x = real_value(answer->subs(values)), y = real_value(gold->subs(values));
        if (!x || !y || !close_enough(*x, *y, GiNaC::numeric(1, 1000000000))) return false;
      }
      return true;
    } catch (const std::exception&) {  // GiNaC arithmetic errors (division by zero, ...)
      return false;
    }
  }

  GiNaC::parser reader_;
  std::chrono::steady_clock::time_point start_;
  bool refused_ = false;
};

}  // namespace

std::optional<std::string> extract_final_answer(const std::string& completion) {
  // Committed answers: closed boxes, closed tags, a trailing unclosed tag; the one starting last.
  std::optional<Span> best = last_boxed_span(completion);
  bool from_tag = false;
  const size_t close = completion.rfind("</answer>");
  const size_t open = close == std::string::npos ? std::string::npos : completion.rfind("<answer>", close);
  if (open != std::string::npos && (!best || open > best->start)) {
    best = Span{open, completion.substr(open + 8, close - open - 8)};
    from_tag = true;
  }
  const size_t last_open = completion.rfind("<answer>");
  if (last_open != std::string::npos && (close == std::string::npos || last_open > close) &&
      (!best || last_open > best->start)) {
    best = Span{last_open, completion.substr(last_open + 8)};
    from_tag = true;
  }
  if (best) {
    if (!from_tag) return best->content;
    if (auto inner = last_boxed(best->content)) return inner;
    return refine_tag_content(best->content);
  }
  if (auto last_line = last_line_number(completion)) return last_line;
  return anchored_answer(completion);
}

std::optional<ParsedAnswer> parse_answer(const std::string& text) { return read_answer(text, true); }

uint64_t answer_budget_refusals() { return g_budget_refusals.load(); }

AnswerVerdict verify_answer(const std::string& completion, const std::string& gold) {
  if (gold.size() > 100 * kMaxAnswerBytes) return AnswerVerdict::kGoldUnparseable;
  const auto gold_answer = read_answer(last_boxed(gold).value_or(gold), false);
  if (!gold_answer) return AnswerVerdict::kGoldUnparseable;
  const auto extracted = extract_final_answer(completion);
  if (!extracted) return AnswerVerdict::kWrong;
  const auto answer = read_answer(*extracted, true);
  if (!answer) return AnswerVerdict::kWrong;
  std::lock_guard<std::mutex> lock(ginac_mutex());
  Comparer comparer;
  const bool correct = comparer.equal(*answer, *gold_answer);
  if (comparer.refused()) {
    g_budget_refusals.fetch_add(1);
    return AnswerVerdict::kWrong;
  }
  return correct ? AnswerVerdict::kCorrect : AnswerVerdict::kWrong;
}

}  // namespace grpo
