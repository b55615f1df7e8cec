// The built-in rewards other than accuracy: expected values worked out by hand from each
// reward's definition (docs/rewards.md), TRL's docstring examples where TRL has the reward.
#include <grpo/rewards/checkers.h>
#include <grpo/rewards/reward.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>

namespace {

using grpo::RewardInput;

RewardInput make_row(const std::string& completion, std::vector<int64_t> ids = {},
                     std::map<std::string, std::string> fields = {}, const std::string& prompt = "p") {
  RewardInput row;
  row.prompt = prompt;
  row.completion = completion;
  row.completion_ids = std::move(ids);
  row.fields = grpo::Columns::from_json_texts(fields);
  return row;
}

double score_one(const std::string& name, const RewardInput& row, const grpo::RewardParams& params = {}) {
  return grpo::make_builtin_reward(name, params)->score({row})[0];
}

TEST(FormatReward, AcceptsTheR1Template) {
  EXPECT_EQ(score_one("format", make_row("<think>\nreason\n</think>\n<answer>\n42\n</answer>")), 1.0);
  EXPECT_EQ(score_one("format", make_row("<think>r</think><answer>42</answer>")), 1.0);
  EXPECT_EQ(score_one("format", make_row("<think>r</think> \n <answer>42</answer>\n")), 1.0);
}

TEST(FormatReward, RejectsBrokenTemplates) {
  for (const char* text :
       {"", "<think>", "<think>r</think>", "<think>r<answer>42</answer>", "x<think>r</think><answer>42</answer>",
        "<think>r</think>text<answer>42</answer>", "<think>r</think><answer>42</answer>tail",
        "<think>r</think><answer>42", "<think><think>r</think></think><answer>42</answer>",
        "<think>r</think><answer>1</answer><answer>2</answer>", "<answer>42</answer><think>r</think>",
        "\xff\xfe<think>"}) {
    EXPECT_EQ(score_one("format", make_row(text)), 0.0) << text;
  }
}

TEST(FormatReward, ThinkOnlyModeMatchesTrlThinkFormatReward) {
  // TRL's docstring: "<think>\nThis is my reasoning.\n</think>\nThis is my answer." -> 1, no </think> -> 0.
  const grpo::RewardParams think_only = {{"answer_tag", ""}};
  EXPECT_EQ(score_one("format", make_row("<think>\nThis is my reasoning.\n</think>\nThis is my answer."), think_only),
            1.0);
  EXPECT_EQ(score_one("format", make_row("<think>\nThis is my reasoning.\nThis is my answer."), think_only), 0.0);
  EXPECT_EQ(score_one("format", make_row("<think>a</think><think>b</think>"), think_only), 0.0);
  EXPECT_EQ(score_one("format", make_row("<think></think></think>"), think_only), 1.0);
}

TEST(FormatReward, TagsAreConfigurable) {
  const grpo::RewardParams tags = {{"think_tag", "reasoning"}, {"answer_tag", "final"}};
  EXPECT_EQ(score_one("format", make_row("<reasoning>r</reasoning><final>1</final>"), tags), 1.0);
  EXPECT_EQ(score_one("format", make_row("<think>r</think><answer>1</answer>"), tags), 0.0);
}

TEST(TagCountReward, GivesAQuarterPerMarkerPresentOnce) {
  EXPECT_EQ(score_one("tag_count", make_row("<think>\nr\n</think>\n<answer>\n42\n</answer>")), 1.0);
  EXPECT_EQ(score_one("tag_count", make_row("<think>\nr\n</think>\n")), 0.5);
  EXPECT_EQ(score_one("tag_count", make_row("<think>\n<think>\nr\n</think>\n<answer>\n42\n</answer>")), 0.75);
  EXPECT_EQ(score_one("tag_count", make_row("<think>r</think><answer>42</answer>")), 0.0);
  EXPECT_EQ(score_one("tag_count", make_row("<think>r</think><answer>42</answer>"), {{"newlines", "false"}}), 1.0);
  EXPECT_EQ(score_one("tag_count", make_row("")), 0.0);
}

TEST(ReasoningStepsReward, CountsStepMarkersUpToThree) {
  EXPECT_EQ(score_one("reasoning_steps", make_row("Step 1: a\nStep 2: b\nStep 3: c\nStep 4: d")), 1.0);
  EXPECT_DOUBLE_EQ(score_one("reasoning_steps", make_row("First, a. Finally, b.")), 2.0 / 3.0);
  // "1." counts only at the very start; "\n-" bullets count; "Step x:" needs digits.
  EXPECT_DOUBLE_EQ(score_one("reasoning_steps", make_row("1. a\n2. b\n- c\nStep x: d")), 2.0 / 3.0);
  EXPECT_EQ(score_one("reasoning_steps", make_row("")), 0.0);
  EXPECT_EQ(score_one("reasoning_steps", make_row("First, a"), {{"min_steps", "1"}}), 1.0);
}

TEST(SoftOverlongPunishment, FollowsDapoEquation13) {
  const grpo::RewardParams params = {{"max_completion_len", "100"}, {"soft_punish_cache", "20"}};
  // TRL's docstring: 90 tokens with L_max = 100, L_cache = 20 -> (80 - 90) / 20 = -0.5.
  EXPECT_EQ(score_one("soft_overlong_punishment", make_row("", std::vector<int64_t>(90, 1)), params), -0.5);
  EXPECT_EQ(score_one("soft_overlong_punishment", make_row("", std::vector<int64_t>(80, 1)), params), 0.0);
  EXPECT_EQ(score_one("soft_overlong_punishment", make_row("", std::vector<int64_t>(100, 1)), params), -1.0);
  EXPECT_EQ(score_one("soft_overlong_punishment", make_row("", std::vector<int64_t>(101, 1)), params), -1.0);
  EXPECT_EQ(score_one("soft_overlong_punishment", make_row("", {}), params), 0.0);
}

TEST(RepetitionPenalty, MatchesTrlDocstringOverTokenIds) {
  const grpo::RewardParams params = {{"ngram_size", "2"}, {"max_penalty", "-1.0"}};
  // [1,2,3,4]: 3 bigrams, all unique -> 0. [5,5,5,5,5]: 4 bigrams, 1 unique -> (1 - 1/4) * -1 = -0.75.
  EXPECT_EQ(score_one("repetition_penalty", make_row("", {1, 2, 3, 4}), params), 0.0);
  EXPECT_EQ(score_one("repetition_penalty", make_row("", {5, 5, 5, 5, 5}), params), -0.75);
  EXPECT_EQ(score_one("repetition_penalty", make_row("", {5}), params), 0.0);
}

TEST(RepetitionPenalty, WordsAreLowerCasedWhitespaceTokens) {
  const grpo::RewardParams params = {{"ngram_size", "2"}, {"max_penalty", "-0.5"}, {"unit", "words"}};
  // "A b a B a": bigrams (a b)(b a)(a b)(b a): 2 unique of 4 -> (1 - 2/4) * -0.5 = -0.25.
  EXPECT_EQ(score_one("repetition_penalty", make_row("A b\ta B  a"), params), -0.25);
  EXPECT_EQ(score_one("repetition_penalty", make_row(""), params), 0.0);
  EXPECT_EQ(score_one("repetition_penalty", make_row("\xff\xfe \xff\xfe \xff\xfe"), params), -0.25);
}

TEST(CosineLengthReward, MatchesTrlDocstringAndClampsProgress) {
  const grpo::RewardParams params = {{"max_len", "100"}};
  const std::map<std::string, std::string> gold = {{"solution", "\"\\\\frac{1}{3}\""}};
  // 50 of 100 tokens: cos(pi/2) = 0 -> correct 0.5 + 0.5*0.5 = 0.75; wrong -0.5 + 0.5*(-0.5) = -0.75.
  EXPECT_DOUBLE_EQ(
      score_one("cosine_length", make_row("\\boxed{\\frac{1}{3}}", std::vector<int64_t>(50, 1), gold), params), 0.75);
  EXPECT_DOUBLE_EQ(
      score_one("cosine_length", make_row("\\boxed{\\frac{1}{2}}", std::vector<int64_t>(50, 1), gold), params), -0.75);
  // Past max_len the progress stays 1: correct -> min_value_correct, wrong -> max_value_wrong.
  EXPECT_DOUBLE_EQ(score_one("cosine_length", make_row("\\boxed{1/3}", std::vector<int64_t>(300, 1), gold), params),
                   0.5);
  EXPECT_DOUBLE_EQ(score_one("cosine_length", make_row("", std::vector<int64_t>(300, 1), gold), params), -0.5);
  EXPECT_DOUBLE_EQ(score_one("cosine_length", make_row("", {}, gold), params), -1.0);
  EXPECT_TRUE(
      std::isnan(score_one("cosine_length", make_row("\\boxed{1}", {}, {{"solution", "\"no gold\""}}), params)));
}

TEST(LengthReward, FollowsKimiWithinEachGroup) {
  const std::map<std::string, std::string> gold = {{"solution", "\"7\""}};
  // Group "p": lengths 10 (correct), 20 (wrong), 30 (correct): lambda = 0.5, 0, -0.5.
  // Group "q": one row, all lengths equal -> 0.
  std::vector<RewardInput> rows = {make_row("\\boxed{7}", std::vector<int64_t>(10, 1), gold, "p"),
                                   make_row("\\boxed{8}", std::vector<int64_t>(20, 1), gold, "p"),
                                   make_row("\\boxed{7}", std::vector<int64_t>(30, 1), gold, "p"),
                                   make_row("\\boxed{7}", std::vector<int64_t>(5, 1), gold, "q")};
  EXPECT_EQ(grpo::make_builtin_reward("length")->score(rows), (std::vector<double>{0.5, 0.0, -0.5, 0.0}));
  // A wrong short row gets min(0, lambda) = 0.
  rows[0].completion = "\\boxed{0}";
  EXPECT_EQ(grpo::make_builtin_reward("length")->score(rows)[0], 0.0);
}

TEST(LengthReward, GroupsByTheTrainersGroupIndexOverThePrompt) {
  const std::map<std::string, std::string> gold = {{"solution", "\"7\""}};
  // One prompt text, two groups (the same prompt drawn twice in a batch): group 0 has lengths
  // 10 and 30, group 1 has lengths 12 and 14.
  std::vector<RewardInput> rows = {make_row("\\boxed{7}", std::vector<int64_t>(10, 1), gold, "p"),
                                   make_row("\\boxed{7}", std::vector<int64_t>(30, 1), gold, "p"),
                                   make_row("\\boxed{7}", std::vector<int64_t>(12, 1), gold, "p"),
                                   make_row("\\boxed{7}", std::vector<int64_t>(14, 1), gold, "p")};
  rows[0].group = rows[1].group = 0;
  rows[2].group = rows[3].group = 1;
  // Group 1 alone: lambda = 0.5 - (len - 12) / 2 -> 0.5, -0.5. Pooled by prompt it would be
  // 0.5 - (len - 10) / 20 -> 0.4, 0.3.
  EXPECT_EQ(grpo::make_builtin_reward("length")->score(rows), (std::vector<double>{0.5, -0.5, 0.5, -0.5}));
  for (auto& row : rows) row.group = -1;
  const auto pooled = grpo::make_builtin_reward("length")->score(rows);
  const std::vector<double> want = {0.5, -0.5, 0.4, 0.3};
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(pooled[i], want[i]) << "row " << i;
}

TEST(Countdown, ScoresExactSolutionsUsingEachNumberOnce) {
  const std::map<std::string, std::string> task = {{"target", "24"}, {"nums", "[3, 8, 1, 1]"}};
  EXPECT_EQ(score_one("countdown", make_row("<think>x</think><answer>(1 + 1) * 8 + 3 * 0 + 8</answer>", {}, task)),
            0.0);
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8 * (1 / 1)</answer>", {}, task)), 1.0);
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8 * 1 * 1 = 24</answer>", {}, task)), 1.0);
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8</answer>", {}, task)), 0.0);              // numbers unused
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8 * 1 * 1 * 1</answer>", {}, task)), 0.0);  // used too often
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8 / (1 - 1)</answer>", {}, task)), 0.0);    // division by 0
  EXPECT_EQ(score_one("countdown", make_row("<answer>3 * 8 * 1 * 1", {}, task)), 0.0);               // unclosed tag
  EXPECT_EQ(score_one("countdown", make_row("", {}, task)), 0.0);
}

TEST(Countdown, ParserRejectsMalformedExpressionsWithoutThrowing) {
  EXPECT_TRUE(grpo::countdown_solves("(6 / (1 - 3 / 4))", {6, 1, 3, 4}, 24));  // exact rationals: 6 / (1/4)
  EXPECT_FALSE(grpo::countdown_solves("6 / (1 - 3 / 4", {6, 1, 3, 4}, 24));
  EXPECT_FALSE(grpo::countdown_solves("-3 + 27", {3, 27}, 24));  // no unary minus
  EXPECT_FALSE(grpo::countdown_solves("3 ** 2", {3, 2}, 9));
  EXPECT_FALSE(grpo::countdown_solves("2.5 * 4", {25, 4}, 10));
  EXPECT_FALSE(grpo::countdown_solves("99999999999999999999 - 99999999999999999975", {1}, 24));
  EXPECT_FALSE(grpo::countdown_solves("9223372036854775807 * 2 - 9223372036854775807 * 2", {}, 0));
  EXPECT_FALSE(grpo::countdown_solves(std::string(5000, '(') + "1" + std::string(5000, ')'), {1}, 1));
  EXPECT_TRUE(grpo::countdown_solves(std::string(50, '(') + "1" + std::string(50, ')'), {1}, 1));
  EXPECT_FALSE(grpo::countdown_solves("", {}, 0));
}

TEST(LanguageConsistency, SharesOfTargetScriptWordsInTheReasoning) {
  // Reasoning words: 我 们 这 个 (one word per ideograph) + "compute" = 5 words, 4 Han.
  const auto row = make_row("<think>我们 compute 这个</think><answer>x</answer>");
  EXPECT_DOUBLE_EQ(score_one("language_consistency", row, {{"language", "zh"}}), 4.0 / 5.0);
  EXPECT_DOUBLE_EQ(score_one("language_consistency", row, {{"language", "en"}}), 1.0 / 5.0);
  // Numbers, math and code are neutral; diacritics stay in their Latin word.
  EXPECT_EQ(score_one("language_consistency", make_row("<think>Café 12 $\\frac{x}{y}$ `int x` über</think>"),
                      {{"language", "fr"}}),
            1.0);
  // Japanese counts Han and kana; Cyrillic for Russian.
  EXPECT_EQ(score_one("language_consistency", make_row("<think>これは漢字です</think>"), {{"language", "ja"}}), 1.0);
  EXPECT_DOUBLE_EQ(score_one("language_consistency", make_row("<think>Привет world</think>"), {{"language", "ru"}}),
                   0.5);
}

TEST(LanguageConsistency, MalformedReasoningGetsZero) {
  const grpo::RewardParams en = {{"language", "en"}};
  EXPECT_EQ(score_one("language_consistency", make_row("no think tag"), en), 0.0);
  EXPECT_EQ(score_one("language_consistency", make_row("<think>"), en), 0.0);
  EXPECT_EQ(score_one("language_consistency", make_row("<think>unclosed reasoning"), en), 1.0);
  EXPECT_EQ(score_one("language_consistency", make_row("<think>\xff\xfe\xc3 abc</think>"), en), 1.0);
  EXPECT_EQ(score_one("language_consistency", make_row("whole text", {}, {}), {{"language", "en"}, {"think_tag", ""}}),
            1.0);
}

TEST(LanguageConsistency, TargetLanguageMayComeFromTheRow) {
  const grpo::RewardParams params = {{"language_field", "lang"}, {"language", "en"}};
  EXPECT_EQ(score_one("language_consistency", make_row("<think>你好</think>", {}, {{"lang", "\"zh\""}}), params), 1.0);
  EXPECT_EQ(score_one("language_consistency", make_row("<think>你好</think>"), params), 0.0);
  EXPECT_THROW(score_one("language_consistency", make_row("<think>x</think>"), {{"language_field", "lang"}}),
               c10::Error);
}

TEST(BuiltinRewards, MegabyteCompletionsScoreInBoundedTime) {
  std::string big;
  while (big.size() < (1 << 20)) big += "<think>\\boxed{\\frac{1}{2}} Step 1: 我们 word (1+2)*3 \xff </answer>{{ ";
  std::vector<int64_t> ids(big.size() / 4);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>(i % 97);
  const auto row = make_row(big, ids, {{"solution", "\"1/2\""}, {"target", "9"}, {"nums", "[1, 2, 3]"}});
  const std::vector<std::pair<std::string, grpo::RewardParams>> rewards = {
      {"format", {}},
      {"tag_count", {}},
      {"reasoning_steps", {}},
      {"accuracy", {}},
      {"cosine_length", {{"max_len", "100"}}},
      {"length", {}},
      {"repetition_penalty", {}},
      {"repetition_penalty", {{"unit", "words"}}},
      {"soft_overlong_punishment", {{"max_completion_len", "100"}}},
      {"countdown", {}},
      {"language_consistency", {{"language", "en"}}}};
  for (const auto& [name, params] : rewards) {
    const auto start = std::chrono::steady_clock::now();
    const double value = score_one(name, row, params);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_TRUE(std::isfinite(value)) << name;
    EXPECT_LT(seconds, 5.0) << name;
  }
}

}  // namespace
