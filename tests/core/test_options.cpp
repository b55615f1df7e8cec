#include <grpo/core/options.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>

using grpo::testing::expect_error;

TEST(Options, ConfigSpellingsRoundTrip) {
  for (auto v : {grpo::LossType::kGrpo, grpo::LossType::kBnpo, grpo::LossType::kDrGrpo, grpo::LossType::kDapo}) {
    EXPECT_EQ(grpo::parse_loss_type(grpo::to_string(v)), v);
  }
  EXPECT_EQ(grpo::to_string(grpo::LossType::kDrGrpo), "dr_grpo");
  EXPECT_EQ(grpo::parse_importance_sampling_level("sequence"), grpo::ImportanceSamplingLevel::kSequence);
  EXPECT_EQ(grpo::parse_scale_rewards("none"), grpo::ScaleRewards::kNone);
  EXPECT_EQ(grpo::to_string(grpo::ScaleRewards::kBatch), "batch");
}

TEST(Options, UnknownSpellingsNameTheAcceptedValues) {
  expect_error([] { grpo::parse_loss_type("ppo"); }, "loss_type must be one of grpo, bnpo, dr_grpo, dapo, got 'ppo'");
  expect_error([] { grpo::parse_importance_sampling_level("tok"); },
               "importance_sampling_level must be token or sequence, got 'tok'");
  expect_error([] { grpo::parse_scale_rewards("true"); }, "scale_rewards must be one of group, batch, none, got 'true'");
}
