#pragma once
/// @file The answer checkers behind the built-in rewards `accuracy` and `countdown`, usable on their own.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// Final answer of a completion: the content of the last `\boxed{...}` (or `\fbox{...}`, braces
/// nested to any depth), else the content of the last closed `<answer>...</answer>`, else the
/// math `$...$` or `\(...\)` right after the last "answer is" (any case); nullopt if there is
/// none of these (an unclosed `\boxed{` or `<answer>` is no answer). Never throws.
std::optional<std::string> extract_final_answer(const std::string& completion);

/// What verify_answer() decided.
enum class AnswerVerdict {
  kCorrect,          ///< the extracted answer equals the gold answer
  kWrong,            ///< no answer, an unparseable answer, or a different value
  kGoldUnparseable,  ///< the gold answer could not be read: the row does not apply
};

/// Whether the final answer of `completion` equals `gold` as a mathematical value.
///
/// The answer is extract_final_answer(completion); the gold is the last `\boxed{...}` of `gold`
/// if it has one, else all of it. Both are normalised (whitespace, `$`, `\text{}`, `\left`/
/// `\right`, thousands separators, trailing units and `\%`) and read as exact expressions:
/// integers, decimals, fractions (`a/b`, `\frac`, `\dfrac`, `\tfrac`), scientific notation,
/// `\sqrt`, `\pi`, `e`, powers and single-letter variables; equality is decided by GiNaC
/// (difference simplifies to 0, or numerically equal to 1e-9 relative). A bare equation
/// `x = 5` is read as its right-hand side. See docs/rewards.md for the exact rules.
/// Never throws; bounded time for any input (answers over 1000 bytes are unparseable).
AnswerVerdict verify_answer(const std::string& completion, const std::string& gold);

/// Whether `expression` reaches `target` using each number of `nums` exactly once.
///
/// The expression uses non-negative integer literals, `+ - * /`, parentheses and spaces, and may
/// end in `= <number>` (ignored). Arithmetic is exact (rationals); division by zero, any other
/// character, unary minus, a number not in `nums` or used too often or not at all, nesting
/// deeper than 100 and intermediate values beyond 64-bit range all give false. Never throws.
bool countdown_solves(const std::string& expression, const std::vector<int64_t>& nums, int64_t target);

}  // namespace grpo
