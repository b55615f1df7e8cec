#pragma once
/// @file The answer checkers behind the built-in rewards `accuracy` and `countdown`, usable on their own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// Final answer of a completion, as text (see docs/rewards.md, "accuracy", for every rule).
///
/// Committed answers are the closed `\boxed{...}` / `\fbox{...}` (braces nested to any depth),
/// the closed `<answer>...</answer>` and a trailing unclosed `<answer>`; the one that starts last
/// wins, so a self-correction after an earlier tag or box counts. Prose inside a tag is reduced to
/// its math (`<answer>The final answer is $91$.</answer>` gives `91`). Without any of these, the
/// text after the last "answer" phrase (`Final Answer: $8$`, `the answer is 12`), else a last line
/// that is a bare number. nullopt if there is none. Never throws.
std::optional<std::string> extract_final_answer(const std::string& completion);

/// What verify_answer() decided.
enum class AnswerVerdict {
  kCorrect,          ///< the extracted answer equals the gold answer
  kWrong,            ///< no answer, an unparseable answer, or a different value
  kGoldUnparseable,  ///< the gold answer could not be read: the row does not apply
};

/// The shape of an answer, as parse_answer() reads it.
enum class AnswerKind {
  kNumber,      ///< a value without variables: `3`, `-\frac{1}{2}`, `2\sqrt{3}`, `1.5\times 10^{3}`
  kExpression,  ///< an expression in variables: `x^2+1`
  kEquation,    ///< `lhs = rhs` (items: lhs, rhs)
  kInequality,  ///< `lhs < rhs` and `<=`, `>`, `>=` (items: lhs, rhs; `relation` names it)
  kTuple,       ///< an ordered tuple or point `(1, 2)` (also an open interval)
  kInterval,    ///< an interval with at least one bracket `[0, 1)`, or a union of intervals
  kSet,         ///< an unordered collection: `\{1, 2\}`, a bare list `1, 2, 3`, `\pm 2`
  kChoice,      ///< a multiple-choice letter `(C)`, `\textbf{(E) } 1680` (text: the letter)
  kText,        ///< words inside `\text{...}` (text: lower-case, single spaces)
};

/// One answer in the typed model: a tree of items with units and percent at the leaves.
struct ParsedAnswer {
  AnswerKind kind = AnswerKind::kText;
  /// Normalised text: the math of a number or expression, the letter of a choice, the words of
  /// a text; empty for the composite kinds.
  std::string text;
  /// Number and expression: the expression in GiNaC's parser syntax (exact rationals, `Pi`,
  /// variables as `v_x`). Choice: the value after the letter when it has one, else empty.
  std::string math;
  /// Tuple, interval, set: the elements in written order; equation and inequality: lhs, rhs; a
  /// union of intervals: the intervals; a choice with a value: that value.
  std::vector<ParsedAnswer> items;
  /// Inequality: `<`, `<=`, `>`, `>=`.
  std::string relation;
  /// Brackets of a tuple, interval or set (`(`, `[`, `{`, ...); 0 for a bare list; `U` for a union.
  char open = 0;
  char close = 0;
  /// Unit of a number, normalised (`cm`, `cm^2`, `hour`, `deg`); empty when none is written.
  std::string unit;
  /// Whether the number was written with a percent sign.
  bool percent = false;
};

/// Reads answer text (LaTeX or plain, any Unicode) into the typed model; nullopt if it cannot be
/// read. The text is NFKC-normalised (utf8proc) and mapped to ASCII math first (Unicode minus,
/// Eastern Arabic digits, `½`, `π`, `√`, `×`, superscripts). Never throws; texts over 1000 bytes
/// are not read.
std::optional<ParsedAnswer> parse_answer(const std::string& text);

/// Whether the final answer of `completion` equals `gold` as a mathematical value.
///
/// The answer is extract_final_answer(completion); the gold is the last `\boxed{...}` of `gold`
/// if it has one, else all of it. Both are read by parse_answer() and compared by kind: numbers
/// exactly (integers, rationals, surds, `\pi`), or to the gold's written precision when the gold
/// is a decimal; expressions and equations through GiNaC (identical after expansion, else equal
/// at three fixed points); tuples and intervals in order, sets in any order; units compared when
/// both sides have one; choice letters case-insensitively. See docs/rewards.md for every rule.
/// Never throws; bounded time for any input (answers over 1000 bytes are unparseable; a row whose
/// comparison runs out of its budget is kWrong and counted by answer_budget_refusals()).
AnswerVerdict verify_answer(const std::string& completion, const std::string& gold);

/// Number of verify_answer() calls, since the program started, that hit the size or time budget
/// of a comparison and returned kWrong for it. Thread-safe.
uint64_t answer_budget_refusals();

/// Whether `expression` reaches `target` using each number of `nums` exactly once.
///
/// The expression uses non-negative integer literals, `+ - * /`, parentheses and spaces, and may
/// end in `= <number>` (ignored). Arithmetic is exact (rationals); division by zero, any other
/// character, unary minus, a number not in `nums` or used too often or not at all, nesting
/// deeper than 100 and intermediate values beyond 64-bit range all give false. Never throws.
bool countdown_solves(const std::string& expression, const std::vector<int64_t>& nums, int64_t target);

}  // namespace grpo
