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
  EXPECT_EQ(grpo::extract_final_answer("<answer>1"), "1");  // unclosed at the end: still committed
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
  expect_verdict("\\boxed{0.333333}", "\\frac{1}{3}", wrong);  // an exact gold wants an exact answer
  expect_verdict("\\boxed{0.333}", "\\frac{1}{3}", wrong);
  expect_verdict("\\boxed{\\frac{1}{3}}", "0.333", ok);  // a decimal gold is rounded: to its precision
  expect_verdict("\\boxed{0.3333}", "0.333", ok);
  expect_verdict("\\boxed{0.334}", "0.333", wrong);
  expect_verdict("\\boxed{0.33}", "0.333", wrong);  // less precise than the gold
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
  expect_verdict("the answer is 5 maybe", "5", wrong);
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

TEST(ExtractFinalAnswer, FindsFinalAnswerPhrasesAndProseInTags) {
  EXPECT_EQ(grpo::extract_final_answer("Work.\nFinal Answer: $8$"), "8");
  EXPECT_EQ(grpo::extract_final_answer("**Final Answer**\n\\[ \\boxed{9} \\]"), "9");
  EXPECT_EQ(grpo::extract_final_answer("<answer>The final answer is $91$.</answer>"), "91");
  EXPECT_EQ(grpo::extract_final_answer("<think>x</think><answer>42"), "42");
  EXPECT_EQ(grpo::extract_final_answer("So the answer should be 12"), "12");
  EXPECT_EQ(grpo::extract_final_answer("<answer>5</answer> Wait, actually <answer>6</answer>"), "6");
  EXPECT_EQ(grpo::extract_final_answer("\\boxed{5} no: <answer>6</answer>"), "6");  // the later one
  EXPECT_EQ(grpo::extract_final_answer("<answer>\\boxed{7}</answer>"), "7");
  EXPECT_EQ(grpo::extract_final_answer("lots of steps\n12"), "12");
  EXPECT_EQ(grpo::extract_final_answer("no answer here"), std::nullopt);
  EXPECT_EQ(grpo::extract_final_answer("The answer is 42 because 6 * 7 = 42."), "42");
  EXPECT_EQ(grpo::extract_final_answer("<think>the answer is 5? no</think>\n6"), "6");  // a bare last line wins
}

TEST(ParseAnswer, ReadsEachKindOfAnswer) {
  using grpo::AnswerKind;
  auto kind = [](const std::string& text) { return grpo::parse_answer(text).value().kind; };
  EXPECT_EQ(kind("-\\frac{1}{2}"), AnswerKind::kNumber);
  EXPECT_EQ(kind("x^2+1"), AnswerKind::kExpression);
  EXPECT_EQ(kind("y = 2x+3"), AnswerKind::kEquation);
  EXPECT_EQ(kind("x \\le 3"), AnswerKind::kInequality);
  EXPECT_EQ(kind("(1, 2)"), AnswerKind::kTuple);
  EXPECT_EQ(kind("[0, 1)"), AnswerKind::kInterval);
  EXPECT_EQ(kind("(-\\infty, 2)"), AnswerKind::kInterval);
  EXPECT_EQ(kind("\\{1, 2, 3\\}"), AnswerKind::kSet);
  EXPECT_EQ(kind("1, 2, 3"), AnswerKind::kSet);
  EXPECT_EQ(kind("\\pm 2"), AnswerKind::kSet);
  EXPECT_EQ(kind("\\textbf{(E) } 1680"), AnswerKind::kChoice);
  EXPECT_EQ(kind("\\text{no solution}"), AnswerKind::kText);
  const auto with_unit = grpo::parse_answer("36 \\text{ cm}^2").value();
  EXPECT_EQ(with_unit.unit, "cm^2");
  EXPECT_EQ(with_unit.text, "36");
  EXPECT_TRUE(grpo::parse_answer("3.5\\%").value().percent);
  EXPECT_EQ(grpo::parse_answer("1,234,567").value().math, "1234567");  // thousands, not a list
  EXPECT_EQ(grpo::parse_answer("\xEF\xBC\x94\xEF\xBC\x92").value().math, "42");  // fullwidth digits (NFKC)
  EXPECT_EQ(grpo::parse_answer("\xD9\xA4\xD9\xA2").value().math, "42");          // Eastern Arabic digits
  EXPECT_EQ(grpo::parse_answer(""), std::nullopt);
  EXPECT_EQ(grpo::parse_answer("\\frac{1}{"), std::nullopt);
}

TEST(VerifyAnswer, TuplesIntervalsAndSets) {
  const auto ok = AnswerVerdict::kCorrect;
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{(3, -0.5)}", "(3, -\\frac{1}{2})", ok);
  expect_verdict("\\boxed{(-0.5, 3)}", "(3, -\\frac{1}{2})", wrong);  // a tuple is ordered
  expect_verdict("\\boxed{\\{1, 2\\}}", "(1, 2)", wrong);             // a set is no tuple
  expect_verdict("\\boxed{[0,1)}", "[0, 1)", ok);
  expect_verdict("\\boxed{[0,1]}", "[0, 1)", wrong);
  expect_verdict("\\boxed{(-\\infty, 2]}", "(-\\infty, 2]", ok);
  expect_verdict("\\boxed{(-\\infty, 1) \\cup (2, \\infty)}", "(-\\infty,1)\\cup(2,\\infty)", ok);
  expect_verdict("\\boxed{\\{3, 1, 2\\}}", "\\{1, 2, 3\\}", ok);
  expect_verdict("\\boxed{3, 2, 1}", "1, 2, 3", ok);
  expect_verdict("\\boxed{1, 2}", "1, 2, 3", wrong);
  expect_verdict("\\boxed{-2, 2}", "\\pm 2", ok);
  expect_verdict("\\boxed{x = \\pm 2}", "\\pm 2", ok);
  expect_verdict("\\boxed{2}", "\\pm 2", wrong);
  std::string many = "1", reversed = "20";  // 20 items, each compared with each
  for (int k = 2; k <= 20; ++k) {
    many += "," + std::to_string(k);
    reversed += "," + std::to_string(21 - k);
  }
  expect_verdict("\\boxed{\\{" + many + "\\}}", "\\{" + reversed + "\\}", ok);
}

TEST(VerifyAnswer, EquationsAndInequalities) {
  const auto ok = AnswerVerdict::kCorrect;
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{y = 3 + 2x}", "y=2x+3", ok);
  expect_verdict("\\boxed{2x - y + 3 = 0}", "y=2x+3", ok);  // the same line rearranged
  expect_verdict("\\boxed{y=5}", "x=5", wrong);              // the left side counts
  expect_verdict("\\boxed{5}", "x=5", ok);
  expect_verdict("\\boxed{x = 5}", "5", ok);
  expect_verdict("\\boxed{(x+3)^2}", "x^2+6x+9", ok);
  expect_verdict("\\boxed{3 > x}", "x < 3", ok);
  expect_verdict("\\boxed{x \\le 3}", "x < 3", wrong);
  expect_verdict("\\boxed{x > 0}", "(0, \\infty)", ok);  // an inequality in one variable is an interval
  expect_verdict("\\boxed{x \\ge 0}", "(0, \\infty)", wrong);
  expect_verdict("\\boxed{(2, 5]}", "2 < x \\le 5", ok);
  expect_verdict("\\boxed{[2, 5]}", "2 < x \\le 5", wrong);
}

TEST(VerifyAnswer, UnitsPercentAndChoices) {
  const auto ok = AnswerVerdict::kCorrect;
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{36 \\text{ cm}^2}", "36", ok);  // the gold has no unit: ignored
  expect_verdict("\\boxed{8 \\text{ days}}", "8 \\text{ hours}", wrong);  // both have one: compared
  expect_verdict("\\boxed{8 \\text{ hrs}}", "8 \\text{ hours}", ok);
  expect_verdict("\\boxed{8}", "8 \\text{ hours}", ok);
  expect_verdict("\\boxed{45^\\circ}", "45", ok);
  expect_verdict("\\boxed{3.5%}", "3.5\\%", ok);
  expect_verdict("\\boxed{3.5}", "3.5\\%", ok);
  expect_verdict("\\boxed{4.5\\%}", "3.5\\%", wrong);
  expect_verdict("\\boxed{\\textbf{(E) } 1680}", "E", ok);
  expect_verdict("\\boxed{b}", "\\mathrm{(B)}", ok);
  expect_verdict("\\boxed{(C)}", "\\mathrm{(B)}", wrong);
  expect_verdict("\\boxed{B. 12}", "B", ok);
  expect_verdict("\\boxed{(E) 1680}", "1680", ok);  // the value written with the letter
  expect_verdict("\\boxed{(E) 1680}", "1681", wrong);
  expect_verdict("\\boxed{No Solution}", "\\text{no solution}", ok);
  expect_verdict("\\boxed{5}", "\\text{no solution}", wrong);
  expect_verdict("\\boxed{Yes}", "yes", ok);  // common answer words need no \\text{} in the gold
  expect_verdict("\\boxed{no}", "Yes", wrong);
}

TEST(VerifyAnswer, UnicodeAndNumberSpellings) {
  const auto ok = AnswerVerdict::kCorrect;
  expect_verdict("\\boxed{\xE2\x88\x92" "7}", "-7", ok);               // U+2212 minus
  expect_verdict("\\boxed{\xEF\xBC\x94\xEF\xBC\x92}", "42", ok);       // fullwidth 42
  expect_verdict("\\boxed{67\xC2\xA0" "200}", "67200", ok);            // no-break space separator
  expect_verdict("\\boxed{\xC2\xBD}", "0.5", ok);                      // U+00BD one half
  expect_verdict("\\boxed{67 200}", "67200", ok);
  expect_verdict("\\boxed{6{,}500}", "6,500", ok);
  expect_verdict("\\boxed{0.\\overline{6}}", "\\frac{2}{3}", ok);
  expect_verdict("\\boxed{0.1\\overline{6}}", "\\frac{1}{6}", ok);
  expect_verdict("\\boxed{{41 \\over 4}}", "41/4", ok);
  expect_verdict("\\boxed{12\\sqrt3}", "12\\sqrt{3}", ok);
  expect_verdict("\\boxed{\\frac{5}{6}\\pi}", "5\\pi/6", ok);
  expect_verdict("\\boxed{3.01*10^23}", "3.01 \\cdot 10^{23}", ok);
  expect_verdict("\\boxed{1.505e23}", "1.505\\times 10^{23}", ok);
}

TEST(VerifyAnswer, DecimalApproximationsOfExactGoldsAreWrong) {
  const auto wrong = AnswerVerdict::kWrong;
  expect_verdict("\\boxed{4.000000001}", "4", wrong);
  expect_verdict("\\boxed{12.5663706}", "4\\pi", wrong);
  expect_verdict("\\boxed{3.14}", "\\pi", wrong);
  expect_verdict("\\boxed{1.414}", "\\sqrt{2}", wrong);
  expect_verdict("\\boxed{34/36}", "18/19", wrong);
  expect_verdict("\\boxed{\\pi}", "3.14", AnswerVerdict::kCorrect);  // the gold is the rounded one
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
