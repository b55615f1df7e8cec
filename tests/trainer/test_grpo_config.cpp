#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/sft_config.h>

#include "support/expect_error.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

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
  expect_error([] { valid().reward_weights({1.0}).validate(); }, "reward_weights must be empty or one weight");
  expect_error([] { valid().lr_scheduler_type("step").validate(); }, "lr_scheduler_type must be linear, cosine or constant, got 'step'");
  expect_error([] { valid().save_strategy("epoch").validate(); }, "save_strategy must be steps or no, got 'epoch'");
  expect_error([] { valid().reward_error_policy("skip").validate(); }, "reward_error_policy must be fail or nan");
  expect_error([] { valid().top_p(0).validate(); }, "top_p must be in (0, 1], got 0");
  expect_error([] { valid().max_decode_rows(4).validate(); }, "max_decode_rows must be 0 or >= num_generations, got 4");
}

// Every field with a value other than its default, set through the setters and written
// independently as the JSON the config must produce: a field left out of the config's field list
// (so neither written nor read) makes the two differ.
TEST(GrpoConfig, JsonHoldsEveryFieldOfAnIndependentList) {
  const auto config = grpo::GrpoConfig()
                          .output_dir("out/x")
                          .device("cpu")
                          .seed(7)
                          .max_steps(11)
                          .per_device_train_batch_size(4)
                          .gradient_accumulation_steps(3)
                          .learning_rate(0.5)
                          .adam_beta1(0.8)
                          .adam_beta2(0.95)
                          .adam_epsilon(1e-6)
                          .weight_decay(0.1)
                          .max_grad_norm(2.0)
                          .lr_scheduler_type("cosine")
                          .warmup_ratio(0.25)
                          .bf16(true)
                          .logging_steps(5)
                          .save_steps(6)
                          .save_total_limit(3)
                          .report_to({"tensorboard"})
                          .ddp_backend("gloo")
                          .ddp_timeout(60)
                          .ddp_bucket_cap_mb(4)
                          .num_generations(4)
                          .num_iterations(2)
                          .max_completion_length(64)
                          .temperature(0.7)
                          .top_p(0.9)
                          .top_k(5)
                          .stop_strings({"</answer>"})
                          .cuda_graphs(true)
                          .max_decode_rows(8)
                          .loss_type(grpo::LossType::kBnpo)
                          .importance_sampling_level(grpo::ImportanceSamplingLevel::kSequence)
                          .scale_rewards(grpo::ScaleRewards::kBatch)
                          .beta(0.04)
                          .epsilon(0.1)
                          .epsilon_high(0.3)
                          .delta(1.5)
                          .use_bias_correction_kl(false)
                          .mask_truncated_completions(true)
                          .reward_funcs({{"format", {}}, {"cosine_length", {{"max_len", "64"}}}})
                          .reward_weights({1.0, 0.5})
                          .reward_error_policy("nan")
                          .log_completions_steps(3)
                          .eval_steps(9);
  const auto expected = nlohmann::json::parse(R"({
    "output_dir": "out/x", "device": "cpu", "seed": 7, "max_steps": 11,
    "per_device_train_batch_size": 4, "gradient_accumulation_steps": 3,
    "learning_rate": 0.5, "adam_beta1": 0.8, "adam_beta2": 0.95, "adam_epsilon": 1e-6,
    "weight_decay": 0.1, "max_grad_norm": 2.0, "lr_scheduler_type": "cosine", "warmup_ratio": 0.25,
    "bf16": true, "logging_steps": 5, "save_steps": 6, "save_strategy": "steps", "save_total_limit": 3, "report_to": ["tensorboard"],
    "ddp_backend": "gloo", "ddp_timeout": 60, "ddp_bucket_cap_mb": 4,
    "num_generations": 4, "num_iterations": 2, "max_completion_length": 64, "temperature": 0.7,
    "top_p": 0.9, "top_k": 5, "stop_strings": ["</answer>"], "cuda_graphs": true, "max_decode_rows": 8, "loss_type": "bnpo",
    "importance_sampling_level": "sequence", "scale_rewards": "batch", "beta": 0.04,
    "epsilon": 0.1, "epsilon_high": 0.3, "delta": 1.5, "use_bias_correction_kl": false,
    "mask_truncated_completions": true,
    "reward_funcs": [{"name": "format", "params": {}}, {"name": "cosine_length", "params": {"max_len": "64"}}],
    "reward_weights": [1.0, 0.5], "reward_error_policy": "nan", "log_completions_steps": 3,
    "eval_steps": 9})");
  EXPECT_EQ(nlohmann::json::parse(config.to_json()), expected);
  // Reading it back gives every value again, also through the expected text itself.
  EXPECT_EQ(nlohmann::json::parse(grpo::GrpoConfig::from_json(expected.dump()).to_json()), expected);
  EXPECT_NO_THROW(config.validate());
}

TEST(SftConfig, JsonHoldsEveryFieldOfAnIndependentList) {
  const auto config = grpo::SftConfig()
                          .output_dir("out/s")
                          .device("cpu")
                          .seed(3)
                          .max_steps(12)
                          .per_device_train_batch_size(2)
                          .gradient_accumulation_steps(4)
                          .learning_rate(0.01)
                          .adam_beta1(0.5)
                          .adam_beta2(0.9)
                          .adam_epsilon(1e-7)
                          .weight_decay(0.2)
                          .max_grad_norm(0.0)
                          .lr_scheduler_type("linear")
                          .warmup_ratio(0.0)
                          .bf16(true)
                          .logging_steps(2)
                          .save_steps(4)
                          .save_strategy("no")
                          .save_total_limit(5)
                          .report_to({"none"})
                          .ddp_backend("nccl")
                          .ddp_timeout(120)
                          .ddp_bucket_cap_mb(50);
  const auto expected = nlohmann::json::parse(R"({
    "output_dir": "out/s", "device": "cpu", "seed": 3, "max_steps": 12,
    "per_device_train_batch_size": 2, "gradient_accumulation_steps": 4, "learning_rate": 0.01,
    "adam_beta1": 0.5, "adam_beta2": 0.9, "adam_epsilon": 1e-7, "weight_decay": 0.2,
    "max_grad_norm": 0.0, "lr_scheduler_type": "linear", "warmup_ratio": 0.0, "bf16": true,
    "logging_steps": 2, "save_steps": 4, "save_strategy": "no", "save_total_limit": 5, "report_to": ["none"],
    "ddp_backend": "nccl", "ddp_timeout": 120, "ddp_bucket_cap_mb": 50})");
  EXPECT_EQ(nlohmann::json::parse(config.to_json()), expected);
  EXPECT_EQ(nlohmann::json::parse(grpo::SftConfig::from_json(expected.dump()).to_json()), expected);
}

TEST(SftConfig, DefaultsAreSftsOwn) {
  const grpo::SftConfig sft;
  const grpo::GrpoConfig grpo_config;
  EXPECT_EQ(sft.output_dir(), "runs/sft");
  EXPECT_EQ(sft.max_steps(), 500);
  EXPECT_EQ(sft.per_device_train_batch_size(), 32);
  EXPECT_EQ(sft.learning_rate(), 1e-3);
  EXPECT_EQ(sft.lr_scheduler_type(), "cosine");
  EXPECT_EQ(sft.warmup_ratio(), 0.05);
  EXPECT_EQ(sft.logging_steps(), 50);
  EXPECT_EQ(grpo_config.output_dir(), "runs/grpo");
  EXPECT_EQ(grpo_config.learning_rate(), 1e-6);
  EXPECT_EQ(grpo_config.lr_scheduler_type(), "linear");
  // The shared validation names the config it runs for.
  expect_error([] { grpo::SftConfig().gradient_accumulation_steps(0).validate(); },
               "SftConfig: gradient_accumulation_steps must be >= 1, got 0");
  expect_error([] { grpo::GrpoConfig().max_grad_norm(-1).validate(); },
               "GrpoConfig: max_grad_norm must be >= 0, got -1");
}
