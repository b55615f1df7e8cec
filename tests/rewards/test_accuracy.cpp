// Answer extraction and equivalence behind the accuracy reward. Expected verdicts are the
// mathematical truth of each pair (checked against math-verify by the parity test as well).
#include <grpo/rewards/checkers.h>
#include <grpo/rewards/reward.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace {

using grpo::AnswerVerdict;

TEST(ExtractFinalAnswer, TakesTheLastBoxedWithNestedBraces) {
  EXPECT_EQ(grpo::extract_final_answer("so \\boxed{1} then \\boxed{\\frac{1}{\\sqrt{2}}} done"),
            "\\frac{1}{\\sqrt{2}}");
  EXPECT_EQ(grpo::extract_final_answer("\\boxed{\\boxed{5}}"), "5");
  EXPECT_EQ(grpo::extract_final_answer("\\fbox{7}"), "7");
  EXPECT_EQ(grpo::extract_final_answer("\\boxed{1} and \\boxed{2"), "1");  // unclosed last box is no answer
  EXPECT_EQ(grpo::extract_final_answer("\\boxed{\\{1,2\\}}"), "\\{1,2\\}");
}

TEST(ExtractFinalAnswer, FallsBackToTheLastAnswerTag) {
  EXPECT_EQ(grpo::extract_final_answer("<think>r</think><answer> 42 </answer>"), " 42 ");
  EXPECT_EQ(grpo::extract_final_answer("<answer>1</answer><answer>2</answer>"), "2");
  EXPECT_EQ(grpo::extract_final_answer("<answer>1"), std::nullopt);
  EXPECT_EQ(grpo::extract_final_answer(""), std::nullopt);
  EXPECT_EQ(grpo::extract_final_answer("\\boxed{"), std::nullopt);
}

void expect_verdict(const std::string& completion, const std::string& gold, AnswerVerdict expected) {
  EXPECT_EQ(grpo::verify_answer(completion, gold), expected) << completion << " vs gold " << gold;
}

TEST(VerifyAnswer, NumbersInAllTheirForms) {
  const auto ok = AnswerVerdict::kCorrect;
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{42}", "42", ok);
  expect_verdict("\\boxed{-3}", "-3", ok);
  expect_verdict("\\boxed{3}", "-3", wrong);
  expect_verdict("\\boxed{0.5}", "\\frac{1}{2}", ok);
  expect_verdict("\\boxed{\\dfrac{3}{6}}", "1/2", ok);
  expect_verdict("\\boxed{\\frac12}", "0.5", ok);
  expect_verdict("\\boxed{2/4}", "\\tfrac{1}{2}", ok);
  expect_verdict("\\boxed{1,000,000}", "1000000", ok);
  expect_verdict("\\boxed{1{,}000}", "1000", ok);
  expect_verdict("\\boxed{1.5\\times 10^{3}}", "1500", ok);
  expect_verdict("\\boxed{1.5e3}", "1500", ok);
  expect_verdict("\\boxed{2E-2}", "0.02", ok);
  expect_verdict("\\boxed{3.0}", "3", ok);
  expect_verdict("\\boxed{0.333333}", "\\frac{1}{3}", ok);  // decimals compare rounded to 6 places
  expect_verdict("\\boxed{0.333}", "\\frac{1}{3}", wrong);
  expect_verdict("\\boxed{12345678901234567890}", "12345678901234567891", wrong);  // exact big integers
  expect_verdict("\\boxed{" + std::string(300, '9') + "}", "10^{300}-1", ok);
}

TEST(VerifyAnswer, NormalisesLatexDecorationsAndUnits) {
  const auto ok = AnswerVerdict::kCorrect;
  expect_verdict("\\boxed{$5$}", "5", ok);
  expect_verdict("\\boxed{\\$5}", "5", ok);
  expect_verdict("\\boxed{50\\%}", "50", ok);
  expect_verdict("\\boxed{90^\\circ}", "90", ok);
  expect_verdict("\\boxed{5 \\text{ cm}}", "5", ok);
  expect_verdict("\\boxed{12 meters}", "12", ok);
  expect_verdict("\\boxed{\\left(\\frac{1}{2}\\right)}", "0.5", ok);
  expect_verdict("\\boxed{x = 5}", "5", ok);
  expect_verdict("\\boxed{\\text{7}}", "7", ok);
  expect_verdict("<answer>  7 </answer>", "$7$", ok);
  expect_verdict("\\boxed{7}", "The answer is \\boxed{7}", ok);
}

TEST(VerifyAnswer, SymbolicExpressionsViaGinac) {
  const auto ok = AnswerVerdict::kCorrect;
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{2\\sqrt{2}}", "\\sqrt{8}", ok);
  expect_verdict("\\boxed{\\frac{\\sqrt{2}}{2}}", "\\frac{1}{\\sqrt{2}}", ok);
  expect_verdict("\\boxed{\\sqrt[3]{27}}", "3", ok);
  expect_verdict("\\boxed{2\\pi}", "\\pi \\cdot 2", ok);
  expect_verdict("\\boxed{3.14}", "\\pi", wrong);
  expect_verdict("\\boxed{x^2+2x+1}", "(x+1)^2", ok);
  expect_verdict("\\boxed{x^2+1}", "(x+1)^2", wrong);
  expect_verdict("\\boxed{\\frac{a}{b}+1}", "\\frac{a+b}{b}", ok);
  expect_verdict("\\boxed{\\sin(x)^2+\\cos(x)^2}", "1", ok);
}

TEST(VerifyAnswer, MalformedAnswersAreWrongAndBadGoldIsSkipped) {
  const auto wrong = AnswerVerdict::kWrong;
  const auto skip = AnswerVerdict::kGoldUnparseable;
  expect_verdict("", "5", wrong);
  expect_verdict("\\boxed{}", "5", wrong);
  expect_verdict("\\boxed{5", "5", wrong);
  expect_verdict("the answer is 5", "5", wrong);
  expect_verdict("\\boxed{\\frac{1}{0}}", "5", wrong);
  expect_verdict("\\boxed{((((}", "5", wrong);
  expect_verdict("\\boxed{\xff\xfe}", "5", wrong);
  expect_verdict("\\boxed{\\sin()}", "5", wrong);  // found by fuzzing: GiNaC crashes on sin()
  expect_verdict("\\boxed{\\sqrt]}", "5", wrong);
  expect_verdict("\\boxed{(1))(}", "5", wrong);
  expect_verdict("\\boxed{5}", "", skip);
  expect_verdict("\\boxed{5}", "hello, world", skip);
  expect_verdict("\\boxed{5}", "\\frac{1}{", skip);
}

TEST(VerifyAnswer, HugePowersAreRefusedInBoundedTime) {
  const auto start = std::chrono::steady_clock::now();
  expect_verdict("\\boxed{9^{9^{9}}}", "1", AnswerVerdict::kWrong);
  expect_verdict("\\boxed{((9^{999})^{999})^{999}}", "1", AnswerVerdict::kWrong);
  expect_verdict("\\boxed{10^{99999}}", "1", AnswerVerdict::kWrong);
  expect_verdict("\\boxed{1e999999}", "1", AnswerVerdict::kWrong);
  expect_verdict("\\boxed{(a+b+c+d+e+f+g+h)^{64}}", "(h+g+f+e+d+c+b+a)^{64}", AnswerVerdict::kCorrect);
  expect_verdict("\\boxed{(\\sqrt{2}+\\sqrt{3}+\\sqrt{5}+\\sqrt{7})^{9999}}", "1", AnswerVerdict::kWrong);
  expect_verdict("\\boxed{" + std::string(100000, '{') + "}", "1", AnswerVerdict::kWrong);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5.0);
}

TEST(AccuracyReward, ScoresOneZeroOrNaNFromTheSolutionColumn) {
  auto reward = grpo::make_builtin_reward("accuracy", {{"solution_field", "gold"}});
  std::vector<grpo::RewardInput> rows(3);
  rows[0].completion = "\\boxed{\\frac{1}{3}}";
  rows[1].completion = "\\boxed{\\frac{1}{2}}";
  rows[2].completion = "\\boxed{1}";
  rows[0].fields = rows[1].fields = {{"gold", "\"\\\\frac{1}{3}\""}};
  rows[2].fields = {{"gold", "\"not math\""}};
  const auto scores = reward->score(rows);
  EXPECT_EQ(scores[0], 1.0);
  EXPECT_EQ(scores[1], 0.0);
  EXPECT_TRUE(std::isnan(scores[2]));
  rows[2].fields = {{"gold", "3"}};  // a JSON number works too
  EXPECT_EQ(reward->score({rows[2]})[0], 0.0);
}

}  // namespace
