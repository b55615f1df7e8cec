#include <grpo/trainer/grpo_config.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>

using grpo::testing::expect_error;

namespace {
grpo::GrpoConfig valid() {
  return grpo::GrpoConfig().reward_funcs({{"format", {}}, {"countdown", {{"penalty", "0"}}}});
}
}  // namespace

TEST(GrpoConfig, JsonRoundTripKeepsEveryField) {
  auto c = valid()
               .learning_rate(3e-4)
               .loss_type(grpo::LossType::kDrGrpo)
               .epsilon_high(0.28)
               .stop_strings({"</answer>"})
               .reward_weights({1.0, 0.5})
               .scale_rewards(grpo::ScaleRewards::kNone)
               .mask_truncated_completions(true);
  const auto back = grpo::GrpoConfig::from_json(c.to_json());
  EXPECT_EQ(back.to_json(), c.to_json());
  EXPECT_EQ(back.loss_type(), grpo::LossType::kDrGrpo);
  EXPECT_EQ(*back.epsilon_high(), 0.28);
  EXPECT_FALSE(back.delta().has_value());
  ASSERT_EQ(back.reward_funcs().size(), 2u);
  EXPECT_EQ(back.reward_funcs()[1].params.at("penalty"), "0");
}

TEST(GrpoConfig, AbsentKeysKeepDefaultsAndNumbersBecomeParamText) {
  const auto c = grpo::GrpoConfig::from_json(
      R"({"learning_rate": 0.001, "reward_funcs": [{"name": "cosine_length", "params": {"max_len": 64}}]})");
  EXPECT_EQ(c.learning_rate(), 0.001);
  EXPECT_EQ(c.num_generations(), 8);
  EXPECT_EQ(c.reward_funcs()[0].params.at("max_len"), "64");
}

TEST(GrpoConfig, BadJsonNamesTheKey) {
  expect_error([] { grpo::GrpoConfig::from_json(R"({"learning_rat": 1})"); }, "unknown key 'learning_rat'");
  expect_error([] { grpo::GrpoConfig::from_json(R"({"max_steps": 1.5})"); }, "'max_steps' must be an integer, got 1.5");
  expect_error([] { grpo::GrpoConfig::from_json(R"({"loss_type": "ppo"})"); }, "loss_type must be one of");
  expect_error([] { grpo::GrpoConfig::from_json(R"({"beta": "0.1"})"); }, "'beta' must be a number, got \"0.1\"");
  expect_error([] { grpo::GrpoConfig::from_json("{\"beta\": "); }, "malformed JSON");
  expect_error([] { grpo::GrpoConfig::from_json("[1]"); }, "expected a JSON object, got array");
  expect_error([] { grpo::GrpoConfig::from_json_file("/nonexistent.json"); }, "cannot open '/nonexistent.json'");
}

TEST(GrpoConfig, ValidateNamesFieldAndValue) {
  EXPECT_NO_THROW(valid().validate());
  expect_error([] { valid().num_generations(1).validate(); }, "num_generations must be >= 2, got 1");
  expect_error([] { valid().beta(-1).validate(); }, "beta must be finite and >= 0, got -1");
  expect_error([] { valid().epsilon(1.5).validate(); }, "epsilon must be in [0, 1), got 1.5");
  expect_error([] { valid().per_device_train_batch_size(6).validate(); },
               "= 6 completions must be a multiple of num_generations = 8");
  expect_error([] { grpo::GrpoConfig().validate(); }, "reward_funcs must be a non-empty list");
  expect_error([] { valid().reward_weights({1.0}).validate(); }, "reward_weights must be empty or one weight");
  expect_error([] { valid().lr_scheduler_type("step").validate(); }, "lr_scheduler_type must be linear, cosine or constant, got 'step'");
  expect_error([] { valid().reward_error_policy("skip").validate(); }, "reward_error_policy must be fail or nan");
  expect_error([] { valid().top_p(0).validate(); }, "top_p must be in (0, 1], got 0");
}
