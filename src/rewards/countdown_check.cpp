// countdown_solves(): exact evaluation of a countdown expression. Standard C++ only, so the fuzz
// target builds it without LibTorch.
#include <grpo/rewards/checkers.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace grpo {
namespace {

// Exact rational num/den, den > 0, in lowest terms; operations fail (nullopt) on overflow.
struct Rational {
  int64_t num = 0;
  int64_t den = 1;
};

std::optional<Rational> reduce(int64_t num, int64_t den) {
  if (den == 0) return std::nullopt;
  if (den < 0) {
    if (num == INT64_MIN || den == INT64_MIN) return std::nullopt;
    num = -num;
    den = -den;
  }
  const int64_t g = std::gcd(num, den);
  return Rational{num / g, den / g};
}

std::optional<Rational> apply(char op, Rational a, Rational b) {
  int64_t x = 0, y = 0, num = 0, den = 0;
  switch (op) {
    case '+':
    case '-':
      if (__builtin_mul_overflow(a.num, b.den, &x) || __builtin_mul_overflow(b.num, a.den, &y) ||
          __builtin_mul_overflow(a.den, b.den, &den)) {
        return std::nullopt;
      }
      if (op == '+' ? __builtin_add_overflow(x, y, &num) : __builtin_sub_overflow(x, y, &num)) return std::nullopt;
      return reduce(num, den);
    case '*':
      if (__builtin_mul_overflow(a.num, b.num, &num) || __builtin_mul_overflow(a.den, b.den, &den)) {
        return std::nullopt;
      }
      return reduce(num, den);
    default:  // '/'
      if (__builtin_mul_overflow(a.num, b.den, &num) || __builtin_mul_overflow(a.den, b.num, &den)) {
        return std::nullopt;
      }
      return reduce(num, den);
  }
}

// Recursive-descent parser: expr := term (('+'|'-') term)*, term := factor (('*'|'/') factor)*,
// factor := number | '(' expr ')'. Every failure (syntax, overflow, division by zero) is nullopt.
class Parser {
 public:
  explicit Parser(std::string text) : text_(std::move(text)) {}

  std::optional<Rational> parse_all() {
    auto value = expr(0);
    skip_spaces();
    if (!value || pos_ != text_.size()) return std::nullopt;
    return value;
  }

  const std::vector<int64_t>& literals() const { return literals_; }

 private:
  static constexpr int kMaxDepth = 100;

  void skip_spaces() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n')) ++pos_;
  }

  bool accept(char c) {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::optional<Rational> expr(int depth) {
    auto value = term(depth);
    while (value) {
      if (accept('+')) {
        auto rhs = term(depth);
        value = rhs ? apply('+', *value, *rhs) : std::nullopt;
      } else if (accept('-')) {
        auto rhs = term(depth);
        value = rhs ? apply('-', *value, *rhs) : std::nullopt;
      } else {
        break;
      }
    }
    return value;
  }

  std::optional<Rational> term(int depth) {
    auto value = factor(depth);
    while (value) {
      char op = accept('*') ? '*' : accept('/') ? '/' : '\0';
      if (op == '\0') break;
      auto rhs = factor(depth);
      value = rhs ? apply(op, *value, *rhs) : std::nullopt;
    }
    return value;
  }

  std::optional<Rational> factor(int depth) {
    if (accept('(')) {
      if (depth >= kMaxDepth) return std::nullopt;
      auto value = expr(depth + 1);
      return value && accept(')') ? value : std::nullopt;
    }
    skip_spaces();
    int64_t number = 0;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
      if (__builtin_mul_overflow(number, 10, &number) || __builtin_add_overflow(number, text_[pos_] - '0', &number)) {
        return std::nullopt;
      }
      ++pos_;
    }
    if (pos_ == start) return std::nullopt;
    literals_.push_back(number);
    return Rational{number, 1};
  }

  std::string text_;
  size_t pos_ = 0;
  std::vector<int64_t> literals_;
};

// The expression, without a trailing "= <number>" (a model often writes the result after it).
std::string strip_result(const std::string& expression) {
  const size_t eq = expression.rfind('=');
  if (eq == std::string::npos) return expression;
  const auto rest = expression.substr(eq + 1);
  const bool number = rest.find_first_not_of(" \t\n0123456789.-") == std::string::npos &&
                      rest.find_first_of("0123456789") != std::string::npos;
  return number ? expression.substr(0, eq) : expression;
}

}  // namespace

bool countdown_solves(const std::string& expression, const std::vector<int64_t>& nums, int64_t target) {
  Parser parser(strip_result(expression));
  const auto value = parser.parse_all();
  if (!value || value->den != 1 || value->num != target) return false;
  auto used = parser.literals();
  auto given = nums;
  std::sort(used.begin(), used.end());
  std::sort(given.begin(), given.end());
  return used == given;
}

}  // namespace grpo
