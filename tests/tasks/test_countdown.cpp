#include <grpo/rewards/checkers.h>
#include <grpo/tasks/countdown.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

using grpo::testing::expect_error;

TEST(Countdown, GeneratesDistinctDisjointProblemsInRange) {
  const auto options = grpo::CountdownOptions().num_count(3).max_number(9).max_target(50).seed(1);
  const auto task = grpo::generate_countdown(300, 100, options);
  ASSERT_EQ(task.train.size(), 300u);
  ASSERT_EQ(task.eval.size(), 100u);
  std::set<std::pair<std::vector<int64_t>, int64_t>> train_keys;
  for (const auto& p : task.train) {
    auto key = p.nums;
    std::sort(key.begin(), key.end());
    EXPECT_TRUE(train_keys.emplace(key, p.target).second) << "duplicate problem in train";
  }
  for (const auto& p : task.eval) {
    auto key = p.nums;
    std::sort(key.begin(), key.end());
    EXPECT_EQ(train_keys.count({key, p.target}), 0u) << "held-out problem also in train";
    EXPECT_EQ(p.nums.size(), 3u);
    for (auto n : p.nums) EXPECT_TRUE(n >= 1 && n <= 9);
    EXPECT_TRUE(p.target >= 1 && p.target <= 50);
    EXPECT_EQ(p.steps.size(), 2u);  // n - 1 operations
  }
}

TEST(Countdown, SameSeedSameProblems) {
  const auto a = grpo::generate_countdown(20, 5, grpo::CountdownOptions().seed(3));
  const auto b = grpo::generate_countdown(20, 5, grpo::CountdownOptions().seed(3));
  const auto c = grpo::generate_countdown(20, 5, grpo::CountdownOptions().seed(4));
  for (size_t i = 0; i < a.train.size(); ++i) EXPECT_EQ(a.train[i].solution, b.train[i].solution);
  bool differs = false;
  for (size_t i = 0; i < a.train.size(); ++i) differs |= a.train[i].solution != c.train[i].solution;
  EXPECT_TRUE(differs);
}

TEST(Countdown, PromptTraceAndRowsHaveTheDocumentedForm) {
  grpo::CountdownProblem p{{3, 5, 7}, 22, "3*5+7", {"3*5=15", "15+7=22"}};
  EXPECT_EQ(grpo::countdown_prompt(p, grpo::CountdownTemplate::kCompact), "3 5 7 -> 22\n");
  const auto r1 = grpo::countdown_prompt(p, grpo::CountdownTemplate::kR1Zero);
  EXPECT_NE(r1.find("Using the numbers [3, 5, 7], create an equation that equals 22."), std::string::npos);
  EXPECT_EQ(r1.substr(r1.size() - 11), "Assistant: ");
  EXPECT_EQ(grpo::countdown_trace(p), "<think>3*5=15,15+7=22</think>\n<answer>3*5+7</answer>");
  const auto rows = grpo::countdown_prompts({p}, grpo::CountdownTemplate::kCompact);
  EXPECT_EQ(rows[0].fields.at("nums"), "[3,5,7]");
  EXPECT_EQ(rows[0].fields.at("target"), "22");
}

TEST(Countdown, RejectsImpossibleOptions) {
  expect_error([] { grpo::generate_countdown(1, 0, grpo::CountdownOptions().num_count(1)); },
               "num_count must be in [2, 6], got 1");
  expect_error([] { grpo::generate_countdown(1, 0, grpo::CountdownOptions().max_number(1)); },
               "max_number must be in [2, 1000], got 1");
  // Two numbers from {1, 2} and targets <= 1 allow very few distinct problems.
  expect_error([] { grpo::generate_countdown(50, 0, grpo::CountdownOptions().num_count(2).max_number(2).max_target(1)); },
               "distinct problems of the 50 asked for");
}

TEST(Countdown, EverySolutionSolvesItsProblem) {
  // Checked by the countdown reward's own exact-rational parser, independent of the generator.
  for (int64_t count : {2, 3, 4}) {
    const auto task = grpo::generate_countdown(
        200, 0, grpo::CountdownOptions().num_count(count).max_number(20).max_target(200).seed(count));
    for (const auto& p : task.train) {
      EXPECT_TRUE(grpo::countdown_solves(p.solution, p.nums, p.target))
          << p.solution << " for target " << p.target;
    }
  }
}
