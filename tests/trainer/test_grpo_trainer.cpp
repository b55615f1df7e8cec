// GrpoTrainer on a toy task: the policy writes letters, the reward is the share of 'a'.
#include <grpo/support/files.h>
#include <grpo/tokenizer/char_tokenizer.h>
#include <grpo/trainer/grpo_trainer.h>
#include <grpo/trainer/sft_trainer.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

using grpo::testing::expect_error;
using grpo::testing::TempDir;

namespace {

grpo::Policy tiny_policy(uint64_t seed) {
  torch::set_num_threads(1);  // tiny operations: threads only add waiting
  torch::manual_seed(seed);
  auto tokenizer = std::make_shared<grpo::CharTokenizer>(grpo::CharTokenizerOptions("abcd>"));
  auto config = grpo::ModelConfig()
                    .vocab_size(tokenizer->vocab_size())
                    .hidden_size(32)
                    .intermediate_size(64)
                    .num_hidden_layers(1)
                    .num_attention_heads(2)
                    .num_key_value_heads(1)
                    .head_dim(16)
                    .max_position_embeddings(32);
  return grpo::Policy(grpo::Transformer(config), tokenizer);
}

// Share of 'a' among the completion's characters (0 for an empty completion).
std::shared_ptr<grpo::RewardFn> share_of_a() {
  return grpo::make_reward("share_of_a", [](const grpo::RewardInput& row) {
    if (row.completion.empty()) return 0.0;
    return static_cast<double>(std::count(row.completion.begin(), row.completion.end(), 'a')) /
           static_cast<double>(row.completion.size());
  });
}

grpo::PromptDataset prompts() { return grpo::PromptDataset({{"ab>", {}}, {"cd>", {}}, {"da>", {}}, {"bc>", {}}}); }

grpo::GrpoConfig toy_config(const std::string& dir) {
  return grpo::GrpoConfig()
      .output_dir(dir)
      .seed(3)
      .max_steps(4)
      .num_generations(4)
      .per_device_train_batch_size(8)
      .gradient_accumulation_steps(2)
      .num_iterations(2)
      .max_completion_length(6)
      .learning_rate(3e-3)
      .beta(0.04)
      .reward_funcs({{"share_of_a", {}}})
      .log_completions_steps(0);
}

double mean_share_of_a(grpo::Policy& policy) {
  const auto rollout = policy.generate({"ab>", "cd>"}, grpo::SamplingOptions().num_generations(32).max_new_tokens(6).seed(99));
  std::vector<grpo::RewardInput> rows;
  for (const auto& c : rollout.completions) rows.push_back({"", c, {}, false, {}});
  const auto scores = share_of_a()->score(rows);
  double sum = 0;
  for (double s : scores) sum += s;
  return sum / static_cast<double>(scores.size());
}

std::vector<torch::Tensor> snapshot(grpo::Policy& policy) {
  std::vector<torch::Tensor> out;
  for (const auto& p : policy.parameters()) out.push_back(p.detach().clone());
  return out;
}

// Largest absolute difference between two policies' parameters: 0 means bit-identical.
double max_difference(grpo::Policy& a, grpo::Policy& b) {
  const auto want = snapshot(a), got = snapshot(b);
  double diff = 0;
  for (size_t i = 0; i < want.size(); ++i) diff = std::max(diff, (want[i] - got[i]).abs().max().item<double>());
  return diff;
}

}  // namespace

TEST(GrpoTrainer, MovesThePolicyTowardTheReward) {
  TempDir dir;
  auto policy = tiny_policy(0);
  const double before = mean_share_of_a(policy);
  grpo::GrpoTrainer trainer(policy, {share_of_a()}, prompts(),
                            toy_config(dir.path()).max_steps(25).num_iterations(1).beta(0.0).learning_rate(1e-2));
  for (int i = 0; i < 25; ++i) trainer.step();
  const double after = mean_share_of_a(policy);
  std::cout << "share of 'a': " << before << " -> " << after << "\n";
  EXPECT_GT(after, before + 0.2);
  EXPECT_TRUE(grpo::path_exists(dir.file("metrics.jsonl")));
  EXPECT_TRUE(grpo::path_exists(dir.file("config.json")));
}

TEST(GrpoTrainer, ResumedRunMatchesAnUnbrokenRun) {
  TempDir dir;
  auto unbroken = tiny_policy(1);
  grpo::GrpoTrainer a(unbroken, {share_of_a()}, prompts(), toy_config(dir.file("a")));
  for (int i = 0; i < 4; ++i) a.step();

  auto first = tiny_policy(1);
  grpo::GrpoTrainer b(first, {share_of_a()}, prompts(), toy_config(dir.file("b")));
  b.step();
  b.step();
  const auto checkpoint = b.save_checkpoint();

  auto restarted = tiny_policy(2);  // different initialisation: everything must come from the checkpoint
  grpo::GrpoTrainer c(restarted, {share_of_a()}, prompts(), toy_config(dir.file("c")));
  c.resume(checkpoint);
  EXPECT_EQ(c.global_step(), 2);
  c.step();
  c.step();
  const double diff = max_difference(unbroken, restarted);
  std::cout << "max |parameter difference| after resume: " << diff << "\n";
  EXPECT_EQ(diff, 0.0);
}

TEST(GrpoTrainer, CheckpointsAreCompleteAndRotated) {
  TempDir dir;
  grpo::GrpoTrainer t(tiny_policy(0), {share_of_a()}, prompts(),
                      toy_config(dir.path()).save_total_limit(2).num_iterations(1));
  for (int i = 0; i < 3; ++i) {
    t.step();
    t.save_checkpoint();
  }
  EXPECT_FALSE(grpo::path_exists(dir.file("checkpoint-1")));
  EXPECT_TRUE(grpo::path_exists(dir.file("checkpoint-2/model.safetensors")));
  EXPECT_TRUE(grpo::path_exists(dir.file("checkpoint-2/config.json"))) << "a checkpoint is a model directory";
  EXPECT_TRUE(grpo::path_exists(dir.file("checkpoint-3/trainer_state.json")));
  EXPECT_FALSE(grpo::path_exists(dir.file("checkpoint-3.tmp")));
  expect_error([&] { t.resume(dir.file("checkpoint-1")); }, "has no model.safetensors");
}

TEST(GrpoTrainer, AThrowingRewardFailsOrBecomesNaN) {
  auto flaky = grpo::make_reward("flaky", [](const grpo::RewardInput& row) -> double {
    if (row.prompt == "cd>") throw std::runtime_error("cannot read row");
    return 1.0;
  });
  TempDir dir;
  auto config = toy_config(dir.path()).reward_funcs({{"flaky", {}}, {"share_of_a", {}}}).num_iterations(1).beta(0);
  grpo::GrpoTrainer failing(tiny_policy(0), {flaky, share_of_a()}, prompts(), config);
  expect_error([&] { failing.step(); }, "flaky");
  grpo::GrpoTrainer tolerant(tiny_policy(0), {flaky, share_of_a()}, prompts(), config.reward_error_policy("nan"));
  const auto stats = tolerant.step();
  EXPECT_EQ(stats.reward_errors, 4);  // the 4 completions of prompt "cd>" (first step: prompts in epoch order)
}

TEST(GrpoTrainer, RejectsMismatchedRewards) {
  TempDir dir;
  expect_error([&] { grpo::GrpoTrainer(tiny_policy(0), {}, prompts(), toy_config(dir.path())); },
               "unknown reward 'share_of_a'");
  expect_error(
      [&] { grpo::GrpoTrainer(tiny_policy(0), {share_of_a(), share_of_a()}, prompts(), toy_config(dir.path())); },
      "2 reward objects for 1 entries of reward_funcs");
}

TEST(SftTrainer, LearnsToImitateCompletions) {
  TempDir dir;
  auto policy = tiny_policy(0);
  std::vector<grpo::SftExample> data = {{"ab>", "aaaa"}, {"cd>", "aaaa"}};
  grpo::SftTrainer trainer(policy, data,
                           grpo::SftConfig().output_dir(dir.path()).max_steps(60).per_device_train_batch_size(2)
                               .learning_rate(1e-2).warmup_ratio(0));
  const double first = trainer.step().loss;
  double last = first;
  while (trainer.global_step() < 60) last = trainer.step().loss;
  std::cout << "SFT loss " << first << " -> " << last << "\n";
  EXPECT_LT(last, 0.1 * first);
  EXPECT_GT(mean_share_of_a(policy), 0.9);
}

TEST(SftTrainer, ResumedRunMatchesAnUnbrokenRun) {
  TempDir dir;
  // 5 examples in batches of 2: the resumed run continues mid-epoch.
  std::vector<grpo::SftExample> data = {{"ab>", "ab"}, {"cd>", "cdd"}, {"da>", "a"}, {"bc>", "bcb"}, {"aa>", "dd"}};
  const auto config = [&](const std::string& out) {
    return grpo::SftConfig().output_dir(out).max_steps(6).per_device_train_batch_size(2).learning_rate(3e-3).seed(5);
  };
  auto unbroken = tiny_policy(1);
  grpo::SftTrainer a(unbroken, data, config(dir.file("a")));
  for (int i = 0; i < 6; ++i) a.step();

  auto first = tiny_policy(1);
  grpo::SftTrainer b(first, data, config(dir.file("b")).save_steps(3));
  for (int i = 0; i < 3; ++i) b.step();
  b.save_checkpoint();
  EXPECT_TRUE(grpo::path_exists(dir.file("b/checkpoint-3/config.json"))) << "a checkpoint is a model directory";

  auto restarted = tiny_policy(2);
  grpo::SftTrainer c(restarted, data, config(dir.file("b")));
  c.resume("latest");
  EXPECT_EQ(c.global_step(), 3);
  c.train();  // to max_steps = 6, then output_dir/model
  const double diff = max_difference(unbroken, restarted);
  std::cout << "max |parameter difference| after SFT resume: " << diff << "\n";
  EXPECT_EQ(diff, 0.0);
  auto saved = grpo::Policy::from_pretrained(dir.file("b/model"));
  EXPECT_EQ(max_difference(restarted, saved), 0.0);
  expect_error([&] { c.resume(dir.file("missing")); }, "has no model.safetensors");
}

TEST(SftConfig, JsonRoundTripAndErrors) {
  const auto config = grpo::SftConfig().max_steps(7).learning_rate(2e-4).lr_scheduler_type("linear").save_steps(3);
  const auto back = grpo::SftConfig::from_json(config.to_json());
  EXPECT_EQ(back.to_json(), config.to_json());
  EXPECT_EQ(back.max_steps(), 7);
  EXPECT_DOUBLE_EQ(back.learning_rate(), 2e-4);
  expect_error([] { grpo::SftConfig::from_json(R"({"num_generations": 8})"); }, "SftConfig: unknown key 'num_generations'");
  expect_error([] { grpo::SftConfig::from_json(R"({"max_steps": "10"})"); },
               "SftConfig: 'max_steps' must be an integer, got \"10\"");
  expect_error([] { grpo::SftConfig::from_json("{"); }, "SftConfig: malformed JSON");
  expect_error([] { grpo::SftConfig::from_json_file("/nonexistent/sft.json"); }, "cannot open '/nonexistent/sft.json'");
  expect_error([] { grpo::SftConfig().save_total_limit(0).validate(); }, "save_total_limit must be >= 1, got 0");
}


TEST(GrpoTrainer, Bf16RunsUnderAutocastWithFloat32Parameters) {
  TempDir dir;
  grpo::GrpoTrainer trainer(tiny_policy(0), {share_of_a()}, prompts(),
                            toy_config(dir.path()).bf16(true).num_iterations(1));
  EXPECT_EQ(trainer.policy().autocast_dtype(), torch::kBFloat16);
  const auto stats = trainer.step();
  EXPECT_TRUE(std::isfinite(stats.loss));
  EXPECT_EQ(trainer.policy().parameters().front().scalar_type(), torch::kFloat32);
  grpo::SftTrainer sft(tiny_policy(0), {{"ab>", "aa"}}, grpo::SftConfig().output_dir(dir.file("sft")).bf16(true));
  EXPECT_EQ(sft.policy().autocast_dtype(), torch::kBFloat16);
  EXPECT_TRUE(std::isfinite(sft.step().loss));
}
