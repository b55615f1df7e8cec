#pragma once
/// @file The Countdown task (TinyZero): reach a target number from given numbers with + - * /,
/// each number used exactly once. Generates GRPO prompts, cold-start SFT traces and a disjoint
/// held-out set for the built-in demo.

#include <grpo/data/dataset.h>

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo {

/// The prompt wording.
enum class CountdownTemplate {
  /// DeepSeek-R1-Zero's template (arXiv:2501.12948 table 1) with TinyZero's question.
  kR1Zero,
  /// One short line, `3 5 7 -> 22\n`: for character-level models, which pay per prompt character.
  kCompact,
};

/// Options of generate_countdown(); validated there.
struct CountdownOptions {
  /// Numbers per problem, in [2, 6]. Default: 3.
  TORCH_ARG(int64_t, num_count) = 3;
  /// Numbers are drawn uniformly from [1, max_number], max_number in [2, 1000]. Default: 9.
  TORCH_ARG(int64_t, max_number) = 9;
  /// Targets lie in [1, max_target], >= 1. Default: 50.
  TORCH_ARG(int64_t, max_target) = 50;
  /// Prompt wording. Default: kCompact.
  TORCH_ARG(CountdownTemplate, prompt_template) = CountdownTemplate::kCompact;
  /// Seed of the generator; the same options give the same problems everywhere. Default: 0.
  TORCH_ARG(uint64_t, seed) = 0;
};

/// One problem with a known solution.
struct CountdownProblem {
  std::vector<int64_t> nums;  ///< the numbers, in prompt order
  int64_t target = 0;         ///< the number to reach
  std::string solution;       ///< an expression using each number once, e.g. `(7-5)*3`
  std::vector<std::string> steps;  ///< the solution's operations, e.g. `7-5=2`, `2*3=6`
};

/// A generated task: training prompts, a disjoint held-out set, and cold-start SFT traces.
struct CountdownTask {
  std::vector<CountdownProblem> train;
  std::vector<CountdownProblem> eval;  ///< no (numbers, target) pair of `train` appears here
};

/// Draws `num_train + num_eval` distinct problems (distinct as the multiset of numbers plus the
/// target), each built from a random expression tree over the numbers whose every intermediate
/// value is a non-negative integer (exact arithmetic).
/// @throws c10::Error naming the field if an option is out of range, or if that many distinct
///         problems cannot be found (the option ranges are too small).
CountdownTask generate_countdown(int64_t num_train, int64_t num_eval, const CountdownOptions& options);

/// The prompt of a problem in the given template. The completion is expected to be
/// `<think>...</think>\n<answer>EXPRESSION</answer>`.
std::string countdown_prompt(const CountdownProblem& problem, CountdownTemplate prompt_template);

/// A cold-start trace: `<think>` + the solution's steps + `</think>\n<answer>` + solution +
/// `</answer>` (DeepSeek-R1 sec. 2.3.1's readable format, in miniature).
std::string countdown_trace(const CountdownProblem& problem);

/// Dataset rows for GRPO: prompt plus the columns `nums` (JSON array) and `target` (JSON
/// number) that the `countdown` reward reads.
PromptDataset countdown_prompts(const std::vector<CountdownProblem>& problems, CountdownTemplate prompt_template);

/// SFT examples: each problem's prompt and countdown_trace().
std::vector<SftExample> countdown_sft_examples(const std::vector<CountdownProblem>& problems,
                                               CountdownTemplate prompt_template);

}  // namespace grpo
