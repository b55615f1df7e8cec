// Rejection sampling: the selection rule on hand-built candidates, and a run on a tiny policy
// whose output round-trips into SftTrainer.
#include <grpo/tokenizer/char_tokenizer.h>
#include <grpo/trainer/rejection_sampler.h>
#include <grpo/trainer/sft_trainer.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"
#include "support/tiny_policy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>

using grpo::Candidate;
using grpo::RejectionSamplingOptions;
using grpo::testing::expect_error;
using grpo::testing::TempDir;
using grpo::testing::tiny_policy;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

}  // namespace

TEST(RejectionSampling, KeepsCandidatesPassingEveryThreshold) {
  // Two filters: accuracy >= 1, language >= 0.5. NaN does not apply and passes.
  const std::vector<Candidate> c = {{"one two three", false, {1.0, 0.9}},
                                    {"four five six", false, {0.0, 1.0}},   // fails accuracy
                                    {"seven eight nine", false, {1.0, 0.4}},  // fails language
                                    {"ten eleven twelve", false, {1.0, kNaN}},
                                    {"thirteen fourteen", true, {1.0, 1.0}},  // truncated
                                    {"", false, {1.0, 1.0}}};                 // empty: never kept
  const auto o = RejectionSamplingOptions().max_per_prompt(10).best_of(false);
  const auto s = grpo::select_completions(c, {1.0, 0.5}, o);
  EXPECT_EQ(s.kept, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(s.passed_per_filter, (std::vector<int64_t>{5, 5}));
  EXPECT_EQ(s.truncated, 1);
  EXPECT_EQ(s.passed, 2);
  // Keeping truncated completions admits the last one too.
  EXPECT_EQ(grpo::select_completions(c, {1.0, 0.5}, RejectionSamplingOptions(o).drop_truncated(false)).kept,
            (std::vector<int64_t>{0, 3, 4}));
}

TEST(RejectionSampling, BestOfKKeepsTheHighestScoresUpToTheCap) {
  const std::vector<Candidate> c = {{"a b c", false, {0.2}},
                                    {"d e f", false, {0.9}},
                                    {"g h i", false, {0.5}},
                                    {"j k l", false, {0.9}}};
  // Sum of scores: 0.2, 0.9, 0.5, 0.9; ties keep sampling order.
  EXPECT_EQ(grpo::select_completions(c, {0.0}, RejectionSamplingOptions().max_per_prompt(3)).kept,
            (std::vector<int64_t>{1, 3, 2}));
  EXPECT_EQ(grpo::select_completions(c, {0.0}, RejectionSamplingOptions().max_per_prompt(1)).kept,
            (std::vector<int64_t>{1}));
  EXPECT_EQ(grpo::select_completions(c, {0.0}, RejectionSamplingOptions().max_per_prompt(2).best_of(false)).kept,
            (std::vector<int64_t>{0, 1}));
}

TEST(RejectionSampling, DropsExactAndNearDuplicates) {
  const std::string base = "we add three and five to get eight then multiply by two";
  const std::vector<Candidate> c = {
      {base, false, {1.0}},
      {"We  add three and five\nto get eight then multiply by two", false, {1.0}},  // same after normalising
      {base + " done", false, {1.0}},  // 10 of 11 trigrams shared: Jaccard 10/11 = 0.909
      {"a different solution entirely with other words", false, {1.0}}};
  EXPECT_NEAR(grpo::trigram_jaccard(base, base + " done"), 10.0 / 11.0, 1e-12);
  const auto s = grpo::select_completions(c, {1.0}, RejectionSamplingOptions().max_per_prompt(4).best_of(false));
  EXPECT_EQ(s.kept, (std::vector<int64_t>{0, 3}));
  EXPECT_EQ(s.duplicates, 2);
  // A stricter threshold keeps the near duplicate; identical normalised text stays a duplicate.
  const auto strict = grpo::select_completions(
      c, {1.0}, RejectionSamplingOptions().max_per_prompt(4).best_of(false).near_duplicate_threshold(0.95));
  EXPECT_EQ(strict.kept, (std::vector<int64_t>{0, 2, 3}));
  EXPECT_DOUBLE_EQ(grpo::trigram_jaccard("", ""), 1.0);
  EXPECT_DOUBLE_EQ(grpo::trigram_jaccard("x y", "y x"), 1.0);  // under three words: word sets
}

TEST(RejectionSampling, BadOptionsAndEmptyResultsAreClearErrors) {
  const auto any = grpo::make_reward("any", [](const grpo::RewardInput&) { return 1.0; });
  expect_error([] { grpo::RejectionSampler({}, {}); }, "no filter");
  expect_error([&] { grpo::RejectionSampler({{any, 1.0}}, RejectionSamplingOptions().num_generations(0)); },
               "num_generations must be >= 1, got 0");
  expect_error([&] { grpo::RejectionSampler({{any, 1.0}}, RejectionSamplingOptions().max_per_prompt(0)); },
               "max_per_prompt must be >= 1, got 0");
  expect_error([&] { grpo::RejectionSampler({{nullptr, 1.0}}); }, "filter 0 has no reward");
  expect_error([&] { grpo::RejectionSampler({{any, kNaN}}); }, "needs a finite min_score");
  expect_error([] { grpo::make_builtin_reward("acuracy"); }, "unknown reward 'acuracy'");
  expect_error([] { grpo::select_completions({{"x", false, {1.0}}}, {1.0, 1.0}, {}); }, "has 1 scores for 2 filters");
  const auto never = grpo::make_reward("never", [](const grpo::RewardInput&) { return 0.0; });
  auto policy = tiny_policy(0);
  const grpo::RejectionSampler sampler({{never, 1.0}}, RejectionSamplingOptions().num_generations(2).max_new_tokens(4));
  expect_error([&] { sampler.run(policy, grpo::PromptDataset(std::vector<grpo::PromptRow>{{"ab>", {}}})); },
               "kept no completion of 2 sampled (");
}

TEST(RejectionSampling, RunWritesSftDataThatSftTrainerReads) {
  TempDir dir;
  auto policy = tiny_policy(3);
  // Keep completions with at least one 'a', the group index and the dataset's columns visible.
  const auto has_a = grpo::make_reward("has_a", [](const grpo::RewardInput& row) {
    EXPECT_GE(row.group, 0);
    EXPECT_EQ(row.field_number("id"), row.group);
    return row.completion.find('a') != std::string::npos ? 1.0 : 0.0;
  });
  const grpo::PromptDataset prompts({{"ab>", {{"id", "0"}}}, {"cd>", {{"id", "1"}}}, {"da>", {{"id", "2"}}}});
  const grpo::RejectionSampler sampler(
      {{has_a, 1.0}}, RejectionSamplingOptions().num_generations(8).max_new_tokens(6).max_per_prompt(2).seed(5)
                          .drop_truncated(false));
  const auto result = sampler.run(policy, prompts);
  const auto& report = result.report;
  EXPECT_EQ(report.num_prompts, 3);
  EXPECT_EQ(report.sampled, 24);
  EXPECT_EQ(report.kept, static_cast<int64_t>(result.examples.size()));
  ASSERT_GT(report.kept, 0);
  for (const auto k : report.kept_per_prompt) EXPECT_LE(k, 2);
  for (const auto& e : result.examples) EXPECT_NE(e.completion.find('a'), std::string::npos) << e.completion;
  // Prompts stay in dataset order, each with its kept count.
  std::vector<std::string> expected_prompts;
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t k = 0; k < report.kept_per_prompt[static_cast<size_t>(i)]; ++k) expected_prompts.push_back(prompts[i].prompt);
  }
  std::vector<std::string> got_prompts;
  for (const auto& e : result.examples) got_prompts.push_back(e.prompt);
  EXPECT_EQ(got_prompts, expected_prompts);
  // The pass rate is the share of the 24 completions containing 'a'.
  ASSERT_EQ(report.filter_names, (std::vector<std::string>{"has_a"}));
  EXPECT_GE(report.filter_pass_rates[0], static_cast<double>(report.kept) / 24.0);
  // Same seed, same result.
  const auto again = sampler.run(policy, prompts);
  ASSERT_EQ(again.examples.size(), result.examples.size());
  for (size_t i = 0; i < result.examples.size(); ++i) EXPECT_EQ(again.examples[i].completion, result.examples[i].completion);
  // The JSONL round-trips into SftTrainer.
  const auto path = dir.file("kept.jsonl");
  grpo::write_sft_jsonl(path, result.examples);
  const auto read = grpo::read_sft_jsonl(path);
  ASSERT_EQ(read.size(), result.examples.size());
  EXPECT_EQ(read.front().completion, result.examples.front().completion);
  grpo::SftTrainer sft(policy, read, grpo::SftConfig().output_dir(dir.file("sft")).max_steps(2).per_device_train_batch_size(2));
  EXPECT_TRUE(std::isfinite(sft.step().loss));
}
