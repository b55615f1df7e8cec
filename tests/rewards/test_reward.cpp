// The RewardFn extension point: validation, errors, parallel scoring, row fields, the registry.
#include <grpo/rewards/reward.h>

#include <c10/util/Exception.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace {

using grpo::RewardInput;

std::vector<RewardInput> rows_with_completions(const std::vector<std::string>& completions) {
  std::vector<RewardInput> rows;
  for (const auto& completion : completions) {
    RewardInput row;
    row.completion = completion;
    rows.push_back(row);
  }
  return rows;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST(RewardFn, ScoresEachRowWithTheCallable) {
  auto reward = grpo::make_reward("length_chars", [](const RewardInput& row) { return double(row.completion.size()); });
  EXPECT_EQ(reward->name(), "length_chars");
  EXPECT_EQ(reward->score(rows_with_completions({"", "ab", "abcd"})), (std::vector<double>{0.0, 2.0, 4.0}));
  EXPECT_TRUE(reward->score({}).empty());
}

TEST(RewardFn, NaNPassesAsDoesNotApply) {
  auto reward = grpo::make_reward("nan", [](const RewardInput&) { return std::numeric_limits<double>::quiet_NaN(); });
  EXPECT_TRUE(std::isnan(reward->score(rows_with_completions({"x"}))[0]));
}

TEST(RewardFn, InfiniteRewardIsAnErrorNamingRewardAndRow) {
  auto reward = grpo::make_reward("boom", [](const RewardInput& row) {
    return row.completion == "bad" ? std::numeric_limits<double>::infinity() : 0.0;
  });
  auto message = error_of([&] { reward->score(rows_with_completions({"ok", "bad"})); });
  EXPECT_NE(message.find("reward 'boom'"), std::string::npos) << message;
  EXPECT_NE(message.find("for row 1"), std::string::npos) << message;
}

TEST(RewardFn, ThrowingRowIsRethrownWithRewardRowAndMessage) {
  auto reward = grpo::make_reward("thrower", [](const RewardInput& row) -> double {
    if (row.completion == "bad") throw std::runtime_error("cannot read gold");
    return 1.0;
  });
  auto message = error_of([&] { reward->score(rows_with_completions({"ok", "ok", "bad", "bad"})); });
  EXPECT_NE(message.find("reward 'thrower' failed on row 2: cannot read gold"), std::string::npos) << message;
}

TEST(RewardFn, WrongResultSizeIsAnError) {
  class Short final : public grpo::RewardFn {
   public:
    Short() : RewardFn("short") {}

   protected:
    double score_row(const RewardInput&) const override { return 0.0; }
    std::vector<double> score_batch(const std::vector<RewardInput>&) const override { return {1.0}; }
  };
  auto message = error_of([&] { Short().score(rows_with_completions({"a", "b"})); });
  EXPECT_NE(message.find("reward 'short' returned 1 rewards for 2 rows"), std::string::npos) << message;
}

TEST(RewardFn, ParallelScoringEqualsSerial) {
  auto fn = [](const RewardInput& row) {
    double h = 0.0;
    for (char c : row.completion) h = std::fmod(h * 31.0 + static_cast<unsigned char>(c), 1e9);
    return h;
  };
  std::vector<std::string> completions;
  for (int i = 0; i < 2000; ++i) completions.push_back("completion " + std::to_string(i * 7919));
  auto rows = rows_with_completions(completions);
  std::vector<double> serial;
  for (const auto& row : rows) serial.push_back(fn(row));
  EXPECT_EQ(grpo::make_reward("hash", fn)->score(rows), serial);
}

TEST(RewardFn, EmptyNameOrCallableIsAnError) {
  EXPECT_THROW(grpo::make_reward("", [](const RewardInput&) { return 0.0; }), c10::Error);
  EXPECT_THROW(grpo::make_reward("x", nullptr), c10::Error);
}

TEST(RewardInput, ReadsFieldsAsStringNumberAndList) {
  RewardInput row;
  row.fields = {{"solution", "\"\\\\frac{1}{2}\""}, {"target", "24"}, {"quoted", "\"3.5\""}, {"nums", "[1, \"2\", 3]"}};
  EXPECT_TRUE(row.has_field("target"));
  EXPECT_FALSE(row.has_field("missing"));
  EXPECT_EQ(row.field_string("solution"), "\\frac{1}{2}");
  EXPECT_EQ(row.field_string("target"), "24");
  EXPECT_EQ(row.field_number("target"), 24.0);
  EXPECT_EQ(row.field_number("quoted"), 3.5);
  EXPECT_EQ(row.field_numbers("nums"), (std::vector<double>{1.0, 2.0, 3.0}));
}

TEST(RewardInput, BadFieldErrorsNameTheColumn) {
  RewardInput row;
  row.fields = {{"word", "\"abc\""}};
  EXPECT_NE(error_of([&] { row.field_string("gold"); }).find("no column 'gold'"), std::string::npos);
  EXPECT_NE(error_of([&] { row.field_number("word"); }).find("column 'word' must be a number"), std::string::npos);
  EXPECT_NE(error_of([&] { row.field_numbers("word"); }).find("column 'word' must be an array"), std::string::npos);
  // Columns are parsed once, when they are made: malformed JSON fails there, naming the column.
  EXPECT_NE(error_of([&] { row.fields = {{"broken", "{"}}; }).find("column 'broken' is not valid JSON"),
            std::string::npos);
}

TEST(BuiltinRewards, RegistryKnowsTheBuiltInNames) {
  EXPECT_EQ(
      grpo::builtin_reward_names(),
      (std::vector<std::string>{"accuracy", "cosine_length", "countdown", "format", "language_consistency", "length",
                                "reasoning_steps", "repetition_penalty", "soft_overlong_punishment", "tag_count"}));
  EXPECT_EQ(grpo::make_builtin_reward("format")->name(), "format");
}

TEST(BuiltinRewards, ConfigErrorsNameRewardAndParameter) {
  EXPECT_NE(error_of([] { grpo::make_builtin_reward("acuracy"); }).find("unknown reward 'acuracy'"), std::string::npos);
  EXPECT_NE(error_of([] {
              grpo::make_builtin_reward("format", {{"colour", "red"}});
            }).find("reward 'format' has no parameter 'colour'"),
            std::string::npos);
  EXPECT_NE(error_of([] { grpo::make_builtin_reward("cosine_length"); }).find("parameter 'max_len' is required"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              grpo::make_builtin_reward("cosine_length", {{"max_len", "ten"}});
            }).find("parameter 'max_len' must be an integer, got 'ten'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              grpo::make_builtin_reward("repetition_penalty", {{"max_penalty", "0.5"}});
            }).find("parameter 'max_penalty' must be <= 0"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              grpo::make_builtin_reward("language_consistency", {{"language", "xx"}});
            }).find("unknown language 'xx'"),
            std::string::npos);
}

}  // namespace
