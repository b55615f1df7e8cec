// libFuzzer target: final-answer extraction, the typed answer reader and verification never
// crash, hang or leak, for any completion and gold text. The input is split at the first NUL into
// completion and gold; each side is also read on its own, and plain arithmetic that reads as a
// number must equal itself.
#include <grpo/rewards/checkers.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string completion = input.substr(0, split);
  const std::string gold = split == std::string::npos ? "1" : input.substr(split + 1);
  (void)grpo::extract_final_answer(completion);
  (void)grpo::parse_answer(completion);
  (void)grpo::parse_answer(gold);
  (void)grpo::verify_answer(completion, gold);
  (void)grpo::verify_answer("\\boxed{" + completion + "}", gold);
  (void)grpo::verify_answer("<answer>" + gold + "</answer>", completion);
  // Reflexivity: plain arithmetic on numbers (digits, point, + - *, parentheses, spaces) that
  // reads as a number is correct against itself, unless its time budget ran out.
  const bool arithmetic = !completion.empty() && completion.size() < 200 &&
                          completion.find_first_not_of("0123456789.+-*() ") == std::string::npos;
  const uint64_t refusals = grpo::answer_budget_refusals();
  if (arithmetic && grpo::verify_answer("\\boxed{" + completion + "}", completion) == grpo::AnswerVerdict::kWrong &&
      grpo::answer_budget_refusals() == refusals) {
    const auto parsed = grpo::parse_answer(completion);
    if (parsed && parsed->kind == grpo::AnswerKind::kNumber) std::abort();
  }
  return 0;
}
