// Final-answer extraction and equivalence (verify_answer), read as exact expressions and compared
// with GiNaC. See docs/rewards.md ("accuracy") for every rule. Standard C++ and GiNaC only, so the
// fuzz target builds it without LibTorch.
#include <grpo/rewards/checkers.h>

#include <ginac/ginac.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>

namespace grpo {
namespace {

constexpr size_t kMaxAnswerBytes = 1000;        // longer answers are unparseable (bounded GiNaC time)
constexpr int64_t kMaxExponentProduct = 10000;  // product of the exponents' integer literals
constexpr int kMaxNesting = 50;

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\n\r\f\v");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t\n\r\f\v") + 1 - begin);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Content of the last closed \boxed{...} / \fbox{...} (by opening position), in one pass.
std::optional<std::string> last_boxed(const std::string& text) {
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
  return text.substr(best->first + 1, best->second - best->first - 1);
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

// Replaces each `\cmd{X}` by X (with `keep`), or removes it.
void unwrap_command(std::string& s, const std::string& cmd, bool keep) {
  for (size_t pos = s.find(cmd + "{"); pos != std::string::npos; pos = s.find(cmd + "{", pos)) {
    size_t end = 0;
    auto content = brace_group(s, pos + cmd.size(), &end);
    if (!content) return;
    s.replace(pos, end - pos, keep ? *content : "");
  }
}

// Units stripped after a number (singular; a plural `s`/`es` is also accepted).
const std::array<const char*, 30> kUnits = {"cm",    "mm",     "km",     "m",      "kg",   "g",    "mg",   "s",
                                            "sec",   "second", "minute", "min",    "hour", "hr",   "day",  "year",
                                            "month", "inch",   "ft",     "feet",   "foot", "yard", "mile", "meter",
                                            "metre", "degree", "unit",   "dollar", "cent", "mph"};

std::string strip_trailing_unit(const std::string& s) {
  const size_t space = s.find_last_of(' ');
  if (space == std::string::npos) return s;
  std::string word = s.substr(space + 1);
  const std::string head = trim(s.substr(0, space));
  if (head.empty() || !std::isdigit(static_cast<unsigned char>(head.back()))) return s;
  for (const char* unit : kUnits) {
    const std::string u = unit;
    if (word == u || word == u + "s" || word == u + "es") return head;
  }
  return s;
}

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Drops thousands separators: a comma after a digit and before exactly three digits (1,234,567).
std::string remove_thousands_separators(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool separator = s[i] == ',' && i > 0 && is_digit(s[i - 1]) && i + 4 <= s.size() && is_digit(s[i + 1]) &&
                           is_digit(s[i + 2]) && is_digit(s[i + 3]) && (i + 4 == s.size() || !is_digit(s[i + 4]));
    if (!separator) out.push_back(s[i]);
  }
  return out;
}

// Normalised answer text: see docs/rewards.md, "accuracy", for the list of rules.
std::string normalize(std::string s) {
  s = trim(s);
  replace_all(s, "\\$", "");
  replace_all(s, "$", "");
  for (const char* cmd : {"\\(", "\\)", "\\[", "\\]", "\\displaystyle"}) replace_all(s, cmd, "");
  replace_all(s, "\\left", "");
  replace_all(s, "\\right", "");
  for (const char* space : {"\\!", "\\,", "\\;", "\\:", "\\quad", "\\qquad", "~"}) replace_all(s, space, " ");
  replace_all(s, "{,}", ",");
  replace_all(s, "\\dfrac", "\\frac");
  replace_all(s, "\\tfrac", "\\frac");
  replace_all(s, "\\cfrac", "\\frac");
  for (const char* degree : {"^{\\circ}", "^\\circ", "\\circ", "\xC2\xB0"}) replace_all(s, degree, "");
  replace_all(s, "\\%", "");
  replace_all(s, "%", "");
  s = trim(s);
  // A trailing \text{unit} / \mbox{unit} after something else is a unit.
  for (const char* cmd : {"\\text{", "\\mbox{", "\\mathrm{"}) {
    const size_t pos = s.rfind(cmd);
    size_t end = 0;
    if (pos != std::string::npos && pos > 0 && brace_group(s, pos + std::strlen(cmd) - 1, &end) && end == s.size()) {
      const auto unit = *brace_group(s, pos + std::strlen(cmd) - 1, &end);
      const std::string head = trim(s.substr(0, pos));
      if (!head.empty() && std::all_of(unit.begin(), unit.end(), [](char c) {
            return std::isalpha(static_cast<unsigned char>(c)) || c == ' ';
          })) {
        s = head;
      }
    }
  }
  for (const char* cmd : {"\\text", "\\textbf", "\\mathrm", "\\mathbf", "\\mbox", "\\boxed"})
    unwrap_command(s, cmd, true);
  s = strip_trailing_unit(trim(s));
  s = remove_thousands_separators(s);
  // A bare assignment `x = 5` is read as its right-hand side.
  const size_t eq = s.find('=');
  if (eq != std::string::npos && s.find('=', eq + 1) == std::string::npos) {
    const std::string lhs = trim(s.substr(0, eq));
    if (!lhs.empty() && lhs.size() <= 3 && std::all_of(lhs.begin(), lhs.end(), [](char c) {
          return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
        })) {
      s = trim(s.substr(eq + 1));
    }
  }
  return trim(s);
}

// Whether `s` is one decimal literal (sympy's atomic Float): digits with a point or an exponent.
bool is_decimal_literal(const std::string& s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  size_t digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++digits;
    } else if (s[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  bool exponent = false;
  if (digits > 0 && i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '-' || s[j] == '+')) ++j;
    const size_t start = j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
    if (j > start) {
      exponent = true;
      i = j;
    }
  }
  return digits > 0 && i == s.size() && (point || exponent);
}

// LaTeX -> GiNaC parser syntax, with exact decimals and explicit multiplication.
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
    return out_;
  }

 private:
  // Emits the start of an operand, with a '*' for implicit multiplication after an operand.
  void operand(const std::string& text) {
    if (after_operand_) out_ += '*';
    out_ += text;
    after_operand_ = true;
  }
  void op(const std::string& text) {
    out_ += text;
    after_operand_ = false;
  }

  // One argument of a command: a brace group or a single character; converted into "(...)".
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
      while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
      inner = s.substr(i, j - i);
      i = j;
    } else {
      inner = s.substr(i, 1);
      ++i;
    }
    Converter sub;
    sub.exponent_product_ = exponent_product_;
    if (!sub.convert(inner, depth + 1) || sub.out_.empty()) return false;
    exponent_product_ = sub.exponent_product_;
    last_argument_ = sub.out_;
    return true;
  }

  bool number(const std::string& s, size_t& i) {
    std::string digits;
    size_t decimals = 0;
    bool point = false;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || (s[i] == '.' && !point))) {
      if (s[i] == '.') {
        point = true;
      } else {
        digits += s[i];
        if (point) ++decimals;
      }
      ++i;
    }
    if (digits.empty()) return false;
    std::string text = decimals ? "(" + digits + "/1" + std::string(decimals, '0') + ")" : digits;
    // Scientific notation 1.5e3 / 2E-4 (an `e` not followed by a digit is the symbol e).
    if (i + 1 < s.size() && (s[i] == 'e' || s[i] == 'E')) {
      size_t j = i + 1;
      const bool negative = s[j] == '-';
      if (s[j] == '-' || s[j] == '+') ++j;
      size_t start = j;
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
      if (j > start) {
        if (j - start > 4 || std::stoi(s.substr(start, j - start)) > 1000) return false;
        text = "(" + text + "*10^(" + (negative ? "-" : "") + s.substr(start, j - start) + "))";
        i = j;
      }
    }
    operand(text);
    return true;
  }

  bool command(const std::string& s, size_t& i, int depth) {
    size_t j = i + 1;
    while (j < s.size() && std::isalpha(static_cast<unsigned char>(s[j]))) ++j;
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
    if (name == "cdot" || name == "times" || name == "ast") {
      op("*");
      return true;
    }
    if (name == "div") {
      op("/");
      return true;
    }
    static const std::array<std::pair<const char*, const char*>, 6> kFunctions = {
        {{"sin", "sin"}, {"cos", "cos"}, {"tan", "tan"}, {"ln", "log"}, {"log", "log"}, {"exp", "exp"}}};
    for (const auto& [latex, ginac] : kFunctions) {
      if (name != latex) continue;
      while (i < s.size() && s[i] == ' ') ++i;
      if (i < s.size() && s[i] == '(') {  // \sin(x): the parenthesis becomes the call's
        operand(ginac);
        after_operand_ = false;
        return true;
      }
      if (!argument(s, i, depth)) return false;
      operand(std::string(ginac) + "(" + last_argument_ + ")");
      return true;
    }
    return false;  // any other command: unparseable
  }

  bool convert(const std::string& s, int depth) {
    if (depth > kMaxNesting) return false;
    size_t i = 0;
    while (i < s.size()) {
      const char c = s[i];
      if (c == ' ' || c == '\t' || c == '\n') {
        ++i;
      } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                 (c == '.' && i + 1 < s.size() && std::isdigit(static_cast<unsigned char>(s[i + 1])))) {
        if (!number(s, i)) return false;
      } else if (std::isalpha(static_cast<unsigned char>(c))) {
        // A variable is one letter; a run of letters is prose ("no solution"), not math.
        if (i + 1 < s.size() && std::isalpha(static_cast<unsigned char>(s[i + 1]))) return false;
        operand(std::string(1, c));
        ++i;
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
        out_ += ')';
        after_operand_ = true;
        ++i;
      } else if (c == '+' || c == '-' || c == '*' || c == '/') {
        op(std::string(1, c));
        ++i;
      } else if (c == '^') {
        ++i;
        if (!argument(s, i, depth)) return false;
        if (last_argument_.find('^') != std::string::npos) return false;  // no towers of powers
        for (size_t k = 0; k < last_argument_.size();) {
          if (!std::isdigit(static_cast<unsigned char>(last_argument_[k]))) {
            ++k;
            continue;
          }
          size_t end = k;
          while (end < last_argument_.size() && std::isdigit(static_cast<unsigned char>(last_argument_[end]))) ++end;
          if (end - k > 5) return false;
          exponent_product_ *= std::max<int64_t>(1, std::stoll(last_argument_.substr(k, end - k)));
          if (exponent_product_ > kMaxExponentProduct) return false;
          k = end;
        }
        out_ += "^(" + last_argument_ + ")";
        after_operand_ = true;
      } else {
        return false;
      }
    }
    return true;
  }

  std::string out_;
  std::string last_argument_;
  bool after_operand_ = false;
  int64_t exponent_product_ = 1;
};

// GiNaC is not thread-safe (shared reference counts, global Digits): one lock for all of it.
std::mutex& ginac_mutex() {
  static std::mutex mutex;
  return mutex;
}

// round(x, 6) * 10^6 for a real numeric: exact (half away from zero) for a rational, through a
// double otherwise.
GiNaC::numeric round6(const GiNaC::numeric& x) {
  const GiNaC::numeric scaled = x * GiNaC::numeric(1000000);
  if (scaled.is_rational()) {
    const GiNaC::numeric p = abs(scaled.numer()), q = scaled.denom();
    const GiNaC::numeric rounded = iquo(GiNaC::numeric(2) * p + q, GiNaC::numeric(2) * q);
    return scaled.is_negative() ? -rounded : rounded;
  }
  return GiNaC::numeric(static_cast<long>(std::llround(scaled.to_double())));
}

std::optional<GiNaC::numeric> real_value(const GiNaC::ex& e) {
  const GiNaC::ex value = e.evalf();
  if (!GiNaC::is_a<GiNaC::numeric>(value)) return std::nullopt;
  const auto number = GiNaC::ex_to<GiNaC::numeric>(value);
  if (!number.is_real()) return std::nullopt;
  return number;
}

bool close_enough(const GiNaC::numeric& a, const GiNaC::numeric& b) {
  // In GiNaC's numerics: a double would overflow to inf for values such as (sqrt(2)+sqrt(3))^9999.
  const GiNaC::numeric scale = std::max({GiNaC::numeric(1), abs(a), abs(b)});
  return abs(a - b) <= GiNaC::numeric(1, 1000000000000) * scale;
}

// Equality without expanding anything: an expanded power of a sum can have billions of terms.
bool equivalent(const GiNaC::ex& answer, const GiNaC::ex& gold, bool float_literal) {
  if ((answer - gold).is_zero()) return true;  // GiNaC's automatic evaluation alone
  const auto a = real_value(answer), g = real_value(gold);
  if (a && g) {
    if (float_literal) {
      if (std::abs(a->to_double()) < 1e12 && std::abs(g->to_double()) < 1e12) return round6(*a) == round6(*g);
      return close_enough(*a, *g);
    }
    // Two exact rationals are equal only exactly; anything irrational is compared numerically.
    if (GiNaC::is_a<GiNaC::numeric>(answer) && GiNaC::ex_to<GiNaC::numeric>(answer).is_rational() &&
        GiNaC::is_a<GiNaC::numeric>(gold) && GiNaC::ex_to<GiNaC::numeric>(gold).is_rational()) {
      return false;
    }
    return close_enough(*a, *g);
  }
  // Expressions in variables: equal at three fixed points (polynomial identity testing).
  GiNaC::exset symbols;
  const GiNaC::ex both = GiNaC::lst{answer, gold};
  for (auto it = both.preorder_begin(); it != both.preorder_end(); ++it) {
    if (GiNaC::is_a<GiNaC::symbol>(*it)) symbols.insert(*it);
  }
  if (symbols.empty()) return false;
  for (const double base : {0.7318, 1.4142, 2.6180}) {
    GiNaC::exmap values;
    double offset = 0.0;
    for (const auto& symbol : symbols) values[symbol] = GiNaC::numeric(base + (offset += 0.1113));
    const auto x = real_value(answer.subs(values)), y = real_value(gold.subs(values));
    if (!x || !y || !close_enough(*x, *y)) return false;
  }
  return true;
}

std::optional<GiNaC::ex> parse(GiNaC::parser& reader, const std::string& text) {
  if (text.size() > kMaxAnswerBytes) return std::nullopt;
  auto syntax = Converter().run(text);
  if (!syntax) return std::nullopt;
  try {
    return reader(*syntax);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Math right after the last "answer is" (any case, optional ':'): `$...$` or `\(...\)`.
std::optional<std::string> anchored_math(const std::string& completion) {
  static const std::string kAnchor = "answer is";
  std::optional<size_t> anchor;
  for (size_t i = 0; i + kAnchor.size() <= completion.size(); ++i) {
    size_t k = 0;
    while (k < kAnchor.size() && std::tolower(static_cast<unsigned char>(completion[i + k])) == kAnchor[k]) ++k;
    if (k == kAnchor.size()) anchor = i + k;
  }
  if (!anchor) return std::nullopt;
  size_t pos = completion.find_first_not_of(" :\n", *anchor);
  if (pos == std::string::npos) return std::nullopt;
  for (const auto& [open, close] : {std::make_pair("$", "$"), std::make_pair("\\(", "\\)")}) {
    const size_t open_size = std::strlen(open);
    if (completion.compare(pos, open_size, open) != 0) continue;
    const size_t end = completion.find(close, pos + open_size);
    if (end == std::string::npos) return std::nullopt;
    return completion.substr(pos + open_size, end - pos - open_size);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> extract_final_answer(const std::string& completion) {
  if (auto boxed = last_boxed(completion)) return boxed;
  const size_t close = completion.rfind("</answer>");
  const size_t open = close == std::string::npos ? std::string::npos : completion.rfind("<answer>", close);
  if (open != std::string::npos) return completion.substr(open + 8, close - open - 8);
  return anchored_math(completion);
}

AnswerVerdict verify_answer(const std::string& completion, const std::string& gold) {
  if (gold.size() > 100 * kMaxAnswerBytes) return AnswerVerdict::kGoldUnparseable;
  const std::string gold_text = normalize(last_boxed(gold).value_or(gold));
  const auto extracted = extract_final_answer(completion);
  const std::string answer_text = extracted && extracted->size() <= 4 * kMaxAnswerBytes ? normalize(*extracted) : "";
  std::lock_guard<std::mutex> lock(ginac_mutex());
  GiNaC::symtab table;
  table["Pi"] = GiNaC::Pi;
  GiNaC::parser reader(table);
  const auto gold_value = parse(reader, gold_text);
  if (!gold_value) return AnswerVerdict::kGoldUnparseable;
  if (answer_text.empty()) return AnswerVerdict::kWrong;
  const auto answer_value = parse(reader, answer_text);
  if (!answer_value) return AnswerVerdict::kWrong;
  try {
    const bool float_literal = is_decimal_literal(answer_text) || is_decimal_literal(gold_text);
    return equivalent(*answer_value, *gold_value, float_literal) ? AnswerVerdict::kCorrect : AnswerVerdict::kWrong;
  } catch (const std::exception&) {  // GiNaC arithmetic errors (division by zero, ...)
    return AnswerVerdict::kWrong;
  }
}

}  // namespace grpo
