// GrpoTrainer on a toy task: the policy writes letters, the reward is the share of 'a'.
#include <grpo/support/files.h>
#include <grpo/tokenizer/char_tokenizer.h>
#include <grpo/trainer/grpo_trainer.h>
#include <grpo/trainer/sft_trainer.h>

#include "support/expect_error.h"
#include "support/temp_dir.h"
#include "support/tiny_policy.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>

using grpo::testing::expect_error;
using grpo::testing::TempDir;
using grpo::testing::tiny_policy;

namespace {

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

// Continuous batching in training (max_decode_rows 4: the step's 4 prompts x 4 completions
// decoded one prompt's group at a time, each admitted as the one before ends): the per-prompt
// seeds the trainer passes make the rollouts, and so the updates, those of decoding every
// completion at once.
TEST(GrpoTrainer, ContinuousBatchingLeavesTheRunUnchanged) {
  TempDir dir;
  auto whole = tiny_policy(4);
  grpo::GrpoTrainer a(whole, {share_of_a()}, prompts(), toy_config(dir.file("a")).max_steps(2));
  auto slotted = tiny_policy(4);
  grpo::GrpoTrainer b(slotted, {share_of_a()}, prompts(), toy_config(dir.file("b")).max_steps(2).max_decode_rows(4));
  for (int i = 0; i < 2; ++i) {
    const auto want = a.step();
    const auto got = b.step();
    EXPECT_EQ(got.reward, want.reward) << "step " << i + 1;
    EXPECT_EQ(got.completion_length_mean, want.completion_length_mean) << "step " << i + 1;
  }
  EXPECT_EQ(max_difference(whole, slotted), 0.0);
  auto untrained = tiny_policy(4);
  EXPECT_GT(max_difference(whole, untrained), 0.0) << "the steps changed the policy";
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
  expect_error([&] { grpo::GrpoTrainer(tiny_policy(0), {}, prompts(), toy_config(dir.path()).reward_funcs({})); },
               "no rewards");
  expect_error(
      [&] {
        grpo::GrpoTrainer(tiny_policy(0), {share_of_a()}, prompts(), toy_config(dir.path()).reward_funcs({{"format", {}}}));
      },
      "reward 0 is 'share_of_a' but reward_funcs names 'format'");
  expect_error(
      [&] {
        grpo::GrpoTrainer(tiny_policy(0), {share_of_a()}, prompts(),
                          toy_config(dir.path()).reward_funcs({}).reward_weights({1.0, 2.0}));
      },
      "reward_weights must be empty or one weight per reward (count), got 2 for 1 rewards");
}

TEST(GrpoTrainer, RewardObjectsNeedNoNames) {
  TempDir dir;
  grpo::GrpoTrainer trainer(tiny_policy(0), {share_of_a()}, prompts(), toy_config(dir.path()).reward_funcs({}));
  const auto stats = trainer.step();
  EXPECT_EQ(stats.reward_means.count("share_of_a"), 1u);
}

TEST(GrpoTrainer, RejectsAPolicyOnAnotherDeviceThanTheConfigs) {
  if (!torch::cuda::is_available()) {
    TempDir dir;
    // "cuda" cannot even be parsed without a GPU; the check names the device either way.
    expect_error([&] { grpo::GrpoTrainer(tiny_policy(0), {share_of_a()}, prompts(), toy_config(dir.path()).device("cuda")); },
                 "cuda");
    return;
  }
  TempDir dir;
  expect_error([&] { grpo::GrpoTrainer(tiny_policy(0), {share_of_a()}, prompts(), toy_config(dir.path()).device("cuda")); },
               "but the policy is on cpu");
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

// save_strategy "no" (transformers' name): no checkpoint, not even the final one, while the final
// model is still written; the same run with "steps" writes both, so the check can fail.
TEST(SftTrainer, SaveStrategyNoWritesNoCheckpointButTheModel) {
  TempDir dir;
  std::vector<grpo::SftExample> data = {{"ab>", "ab"}, {"cd>", "cdd"}, {"da>", "a"}};
  for (const std::string strategy : {"no", "steps"}) {
    auto policy = tiny_policy(1);
    const auto out = dir.file(strategy);
    grpo::SftTrainer trainer(policy, data,
                             grpo::SftConfig().output_dir(out).max_steps(4).per_device_train_batch_size(2).save_steps(2)
                                 .save_strategy(strategy));
    trainer.train();
    const bool checkpoints = grpo::path_exists(out + "/checkpoint-2") || grpo::path_exists(out + "/checkpoint-4");
    EXPECT_EQ(checkpoints, strategy == "steps") << strategy;
    EXPECT_TRUE(grpo::path_exists(out + "/model/model.safetensors")) << strategy;
  }
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
  expect_error([] { grpo::SftConfig().ddp_backend("mpi").validate(); },
               "SftConfig: ddp_backend must be auto, gloo or nccl, got 'mpi'");
  expect_error([] { grpo::GrpoConfig().ddp_timeout(0).validate(); }, "GrpoConfig: ddp_timeout must be >= 1, got 0");
  expect_error([] { grpo::GrpoConfig().ddp_bucket_cap_mb(0).validate(); }, "ddp_bucket_cap_mb must be >= 1, got 0");
}


// bf16 mixed precision against float32 on the same scored batch: the loss, KL, entropy and
// gradient norm of an update agree within bfloat16's rounding (8 significand bits: relative
// error ~2^-8 per operation), and the parameters stay float32.
TEST(GrpoTrainer, Bf16UpdateAgreesWithFloat32WithinBf16Rounding) {
  TempDir dir;
  auto config = toy_config(dir.path()).num_iterations(1).max_steps(3);
  grpo::GrpoTrainer f32(tiny_policy(6), {share_of_a()}, prompts(), config.output_dir(dir.file("f32")));
  grpo::GrpoTrainer bf16(tiny_policy(6), {share_of_a()}, prompts(), config.output_dir(dir.file("bf16")).bf16(true));
  EXPECT_EQ(bf16.policy().autocast_dtype(), torch::kBFloat16);
  const auto batch = f32.generate_and_score();
  const auto a = f32.optimize(batch);
  const auto b = bf16.optimize(batch);
  std::cout << "float32 vs bf16: loss " << a.loss << " / " << b.loss << ", entropy " << a.entropy << " / "
            << b.entropy << ", grad norm " << a.grad_norm << " / " << b.grad_norm << "\n";
  EXPECT_NEAR(b.loss, a.loss, 0.02 + 0.02 * std::abs(a.loss));
  EXPECT_NEAR(b.entropy, a.entropy, 0.02 * a.entropy);
  EXPECT_NEAR(b.kl, a.kl, 1e-3);
  EXPECT_NEAR(b.grad_norm, a.grad_norm, 0.05 * a.grad_norm);
  EXPECT_EQ(bf16.policy().parameters().front().scalar_type(), torch::kFloat32);
  grpo::SftTrainer sft(tiny_policy(0), {{"ab>", "aa"}}, grpo::SftConfig().output_dir(dir.file("sft")).bf16(true));
  EXPECT_EQ(sft.policy().autocast_dtype(), torch::kBFloat16);
  grpo::SftTrainer sft32(tiny_policy(0), {{"ab>", "aa"}}, grpo::SftConfig().output_dir(dir.file("sft32")));
  const double loss_bf16 = sft.step().loss, loss_f32 = sft32.step().loss;
  EXPECT_NEAR(loss_bf16, loss_f32, 0.02 * loss_f32);
}

// Gradient accumulation: for every loss_type, a step whose generation batch is split into 4
// micro-batches reaches the parameters of the same step taken as one micro-batch. The policy never
// emits EOS here, so every micro-batch holds the same number of completion tokens and bnpo's
// per-micro-batch normaliser (TRL's) equals the whole batch's as well.
TEST(GrpoTrainer, GradientAccumulationEqualsOneUpdateOverTheWholeBatch) {
  for (const auto loss_type :
       {grpo::LossType::kGrpo, grpo::LossType::kBnpo, grpo::LossType::kDrGrpo, grpo::LossType::kDapo}) {
    TempDir dir;
    auto whole_policy = tiny_policy(4), split_policy = tiny_policy(4);
    whole_policy.set_eos_token_ids({});
    split_policy.set_eos_token_ids({});
    const auto config = toy_config(dir.path()).loss_type(loss_type).num_iterations(2).max_steps(2);
    grpo::GrpoTrainer whole(whole_policy, {share_of_a()}, prompts(),
                            grpo::GrpoConfig(config).output_dir(dir.file("whole")).per_device_train_batch_size(16)
                                .gradient_accumulation_steps(1));
    grpo::GrpoTrainer split(split_policy, {share_of_a()}, prompts(),
                            grpo::GrpoConfig(config).output_dir(dir.file("split")).per_device_train_batch_size(4)
                                .gradient_accumulation_steps(4));
    for (int i = 0; i < 2; ++i) {
      const auto a = whole.step(), b = split.step();
      // AdamW is blind to the gradient's scale, so the scale is checked through the loss and the
      // gradient norm before clipping.
      EXPECT_NEAR(a.loss, b.loss, 1e-5) << grpo::to_string(loss_type) << " step " << i + 1;
      EXPECT_NEAR(a.grad_norm, b.grad_norm, 1e-5 * a.grad_norm) << grpo::to_string(loss_type) << " step " << i + 1;
    }
    const double diff = max_difference(whole_policy, split_policy);
    std::cout << grpo::to_string(loss_type) << ": max |parameter difference| 1 x 16 vs 4 x 4 rows: " << diff << "\n";
    EXPECT_LT(diff, 1e-5) << grpo::to_string(loss_type);
  }
}

TEST(SftTrainer, GradientAccumulationEqualsOneUpdateOverTheWholeBatch) {
  TempDir dir;
  // Prompts and completions of different lengths: micro-batches pad differently.
  std::vector<grpo::SftExample> data = {{"ab>", "ab"}, {"cdd>", "cdd"}, {"d>", "a"}, {"bcab>", "bcbaa"}};
  auto whole_policy = tiny_policy(1), split_policy = tiny_policy(1);
  const auto config = grpo::SftConfig().max_steps(3).learning_rate(3e-3).seed(5).warmup_ratio(0);
  grpo::SftTrainer whole(whole_policy, data,
                         grpo::SftConfig(config).output_dir(dir.file("whole")).per_device_train_batch_size(4));
  grpo::SftTrainer split(split_policy, data,
                         grpo::SftConfig(config).output_dir(dir.file("split")).per_device_train_batch_size(1)
                             .gradient_accumulation_steps(4));
  for (int i = 0; i < 3; ++i) {
    const auto a = whole.step(), b = split.step();
    EXPECT_NEAR(a.loss, b.loss, 1e-5) << "step " << i + 1;
    EXPECT_NEAR(a.grad_norm, b.grad_norm, 1e-5 * a.grad_norm) << "step " << i + 1;
  }
  const double diff = max_difference(whole_policy, split_policy);
  std::cout << "SFT: max |parameter difference| 1 x 4 vs 4 x 1 examples: " << diff << "\n";
  EXPECT_LT(diff, 1e-5);
}

// StepStats against a hand computation from the scored batch: rewards, lengths and clipping
// from the rows; KL and the loss from the policy's and the reference's log-probabilities with
// the K3 formula written out here; entropy from the model's logits through a plain log-softmax.
TEST(GrpoTrainer, StepStatsMatchAHandComputation) {
  TempDir dir;
  auto policy = tiny_policy(5);
  auto reference = tiny_policy(5);  // the trainer's reference: the policy as it starts
  const auto config = toy_config(dir.path()).num_iterations(1).beta(0.04).max_steps(3).log_completions_steps(0);
  grpo::GrpoTrainer trainer(policy, {share_of_a()}, prompts(), config);
  trainer.step();  // the policy moves away from the reference, so the KL is not 0
  const auto batch = trainer.generate_and_score();
  auto before = trainer.policy().clone_frozen();
  const auto update = trainer.optimize(batch);
  const auto stats = trainer.log_step(batch, update, 0.5);

  const auto& rows = batch.rows;
  const auto n = static_cast<int64_t>(rows.size());
  ASSERT_EQ(n, 16);
  // Rewards: share of 'a' per completion, mean and unbiased std; groups of 4 with zero std.
  std::vector<double> r(static_cast<size_t>(n));
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& c = rows[static_cast<size_t>(i)].completion;
    r[static_cast<size_t>(i)] =
        c.empty() ? 0.0 : static_cast<double>(std::count(c.begin(), c.end(), 'a')) / static_cast<double>(c.size());
    mean += r[static_cast<size_t>(i)] / static_cast<double>(n);
  }
  double var = 0;
  for (double x : r) var += (x - mean) * (x - mean) / static_cast<double>(n - 1);
  int64_t zero_std_rows = 0;
  for (int64_t g = 0; g < n / 4; ++g) {
    bool same = true;
    for (int64_t k = 1; k < 4; ++k) same = same && r[static_cast<size_t>(4 * g + k)] == r[static_cast<size_t>(4 * g)];
    zero_std_rows += same ? 4 : 0;
  }
  EXPECT_NEAR(stats.reward, mean, 1e-12);
  EXPECT_NEAR(stats.reward_std, std::sqrt(var), 1e-12);
  EXPECT_NEAR(stats.reward_means.at("share_of_a"), mean, 1e-12);
  EXPECT_DOUBLE_EQ(stats.frac_reward_zero_std, static_cast<double>(zero_std_rows) / static_cast<double>(n));
  // Lengths (tokens) and the truncated share.
  double length_sum = 0, length_max = 0, truncated = 0;
  for (const auto& row : rows) {
    length_sum += static_cast<double>(row.completion_ids.size());
    length_max = std::max(length_max, static_cast<double>(row.completion_ids.size()));
    truncated += row.truncated ? 1 : 0;
  }
  EXPECT_DOUBLE_EQ(stats.completion_length_mean, length_sum / static_cast<double>(n));
  EXPECT_DOUBLE_EQ(stats.completion_length_max, length_max);
  EXPECT_DOUBLE_EQ(stats.clipped_ratio, truncated / static_cast<double>(n));
  // One update with mu = 1: every ratio is exactly 1, nothing is clipped.
  EXPECT_EQ(stats.clip_ratio_low, 0.0);
  EXPECT_EQ(stats.clip_ratio_high, 0.0);
  EXPECT_EQ(stats.clip_ratio_region, 0.0);
  // KL: K3 = exp(ref - logp) - (ref - logp) - 1, mean over each micro-batch's tokens, then over
  // the 2 micro-batches. Loss (dapo, ratio 1): sum over tokens of (-A + beta K3) / all tokens.
  const auto& ro = batch.rollout;
  torch::NoGradGuard no_grad;
  const auto logp = before.logprobs(ro).logprobs.to(torch::kFloat64);
  const auto ref = reference.logprobs(ro).logprobs.to(torch::kFloat64);
  const auto mask = ro.completion_mask.to(torch::kFloat64);
  const auto k3 = (torch::exp(ref - logp) - (ref - logp) - 1) * mask;
  double kl = 0;
  for (int64_t begin = 0; begin < n; begin += 8) {
    kl += (k3.narrow(0, begin, 8).sum() / mask.narrow(0, begin, 8).sum()).item<double>() / 2.0;
  }
  EXPECT_NEAR(stats.kl, kl, 1e-6);
  const auto advantages = batch.advantages.advantages.to(torch::kFloat64).unsqueeze(1);
  const double loss = ((-advantages + 0.04 * k3) * mask).sum().item<double>() / mask.sum().item<double>();
  EXPECT_NEAR(stats.loss, loss, 1e-5);
  // Entropy of the policy before the update over the completion tokens, from raw logits.
  const int64_t p = ro.prompt_ids.size(1), t = ro.completion_ids.size(1);
  const auto logits = before.model()->forward(torch::cat({ro.prompt_ids, ro.completion_ids}, 1),
                                              torch::cat({ro.prompt_mask, ro.completion_mask}, 1));
  const auto vocab = before.tokenizer().vocab_size();
  const auto log_softmax = torch::log_softmax(logits.narrow(1, p - 1, t).narrow(2, 0, vocab).to(torch::kFloat64), -1);
  const auto entropy = -(log_softmax.exp() * log_softmax).sum(-1);
  EXPECT_NEAR(stats.entropy, ((entropy * mask).sum() / mask.sum()).item<double>(), 1e-5);
  // Step 2 of 3 updates with a linear schedule: lr * (1 - 1/3).
  EXPECT_NEAR(stats.learning_rate, 3e-3 * (1.0 - 1.0 / 3.0), 1e-15);
  EXPECT_EQ(stats.step, 2);
  EXPECT_DOUBLE_EQ(stats.step_seconds, 0.5);
}

// On-policy distillation (GKD): a teacher equal to the student gives advantages of exactly 0, so
// with beta = 0 and weight_decay = 0 the parameters stay bit-identical through both updates.
TEST(GrpoTrainer, DistillingFromAnEqualTeacherLeavesTheStudentUnchanged) {
  TempDir dir;
  auto student = tiny_policy(7);
  auto before = student.clone_frozen();
  grpo::GrpoTrainer trainer(
      student, student.clone_frozen(), {}, prompts(),
      toy_config(dir.path()).reward_funcs({}).beta(0.0).weight_decay(0.0).temperature(0.8).num_iterations(2));
  const auto batch = trainer.generate_and_score();
  ASSERT_EQ(batch.device_advantages.sizes(), batch.rollout.completion_ids.sizes());
  ASSERT_GT(batch.loss_mask.sum().item<double>(), 0.0);
  EXPECT_EQ(batch.device_advantages.abs().max().item<double>(), 0.0);
  const auto update = trainer.optimize(batch);
  const auto stats = trainer.log_step(batch, update, 0.1);
  ASSERT_TRUE(stats.reverse_kl.has_value());
  EXPECT_EQ(*stats.reverse_kl, 0.0);
  EXPECT_TRUE(std::isnan(stats.reward));  // no rewards: nothing to report
  EXPECT_EQ(max_difference(before, student), 0.0);
  EXPECT_NE(stats.to_json().find("\"distill/reverse_kl\":0.0"), std::string::npos) << stats.to_json();
}

// The per-token advantages against log-softmaxes of the two tiny models' logits written out here:
// (log p_teacher - log p_student) at the sampling temperature, plus reward_weight times the
// rewards' group advantage, 0 on padding; the logged reverse KL is the token mean of the negation.
TEST(GrpoTrainer, DistillationAdvantagesMatchAHandComputation) {
  TempDir dir;
  auto student = tiny_policy(5);
  auto teacher = tiny_policy(6);
  const double temperature = 0.7, weight = 0.5;
  grpo::GrpoTrainer trainer(student, teacher, {share_of_a()}, prompts(),
                            toy_config(dir.path()).reward_funcs({}).temperature(temperature).num_iterations(1),
                            grpo::DistillationOptions().reward_weight(weight));
  const auto batch = trainer.generate_and_score();
  const auto& ro = batch.rollout;
  torch::Tensor want, reverse_kl;
  {
    torch::NoGradGuard no_grad;
    const int64_t p = ro.prompt_ids.size(1), t = ro.completion_ids.size(1);
    const auto token_logprobs = [&](grpo::Policy& model) {
      const auto logits = model.model()->forward(torch::cat({ro.prompt_ids, ro.completion_ids}, 1),
                                                 torch::cat({ro.prompt_mask, ro.completion_mask}, 1));
      const auto vocab = model.tokenizer().vocab_size();
      const auto log_softmax =
          torch::log_softmax(logits.narrow(1, p - 1, t).narrow(2, 0, vocab).to(torch::kFloat64) / temperature, -1);
      return log_softmax.gather(2, ro.completion_ids.unsqueeze(2)).squeeze(2);
    };
    const auto mask = ro.completion_mask.to(torch::kFloat64);
    const auto difference = (token_logprobs(teacher) - token_logprobs(student)) * mask;
    const auto group = batch.advantages.advantages.to(torch::kFloat64).unsqueeze(1);
    ASSERT_GT(difference.abs().max().item<double>(), 0.1);  // the teacher is another model
    ASSERT_GT(group.abs().max().item<double>(), 0.1);       // the rewards' part counts
    want = difference + weight * group * mask;
    reverse_kl = -difference.sum() / mask.sum();
  }
  ASSERT_EQ(batch.device_advantages.sizes(), want.sizes());
  EXPECT_EQ(batch.device_advantages.scalar_type(), torch::kFloat32);
  EXPECT_LT((batch.device_advantages.to(torch::kFloat64) - want).abs().max().item<double>(), 1e-5);
  EXPECT_EQ((batch.device_advantages * (1 - ro.completion_mask)).abs().max().item<double>(), 0.0);
  const auto stats = trainer.log_step(batch, trainer.optimize(batch), 0.1);
  ASSERT_TRUE(stats.reverse_kl.has_value());
  EXPECT_NEAR(*stats.reverse_kl, reverse_kl.item<double>(), 1e-5);
  EXPECT_EQ(stats.reward_means.count("share_of_a"), 1u);
}

// The sign of the advantage: training on it lowers the reverse KL to the teacher. A low temperature
// sharpens both untrained models' near-uniform distributions, so that there is a KL to lower.
TEST(GrpoTrainer, DistillationMovesTheStudentTowardTheTeacher) {
  TempDir dir;
  auto student = tiny_policy(3);
  grpo::GrpoTrainer trainer(student, tiny_policy(4), {}, prompts(),
                            toy_config(dir.path()).reward_funcs({}).beta(0.0).num_iterations(1).temperature(0.25)
                                .learning_rate(1e-2).max_steps(40));
  const auto mean_reverse_kl = [&](int steps) {
    double sum = 0;
    for (int i = 0; i < steps; ++i) sum += *trainer.step().reverse_kl;
    return sum / steps;
  };
  const double first = mean_reverse_kl(5);
  mean_reverse_kl(30);
  const double last = mean_reverse_kl(5);
  std::cout << "reverse KL to the teacher: " << first << " -> " << last << "\n";
  EXPECT_LT(last, 0.5 * first);
}

TEST(GrpoTrainer, RejectsAnIncompatibleTeacher) {
  TempDir dir;
  auto student = tiny_policy(1);
  const auto config = [&](const std::string& name) { return toy_config(dir.file(name)).reward_funcs({}); };
  const auto vocab = [](const grpo::Policy& p) { return std::to_string(p.tokenizer().vocab_size()); };
  auto wider = tiny_policy(2, "abcde>");
  expect_error([&] { grpo::GrpoTrainer(student, wider, {}, prompts(), config("a")); },
               "the teacher's tokenizer has vocab_size " + vocab(wider) + " but the student's (the policy's) " +
                   vocab(student));
  expect_error([&] { grpo::GrpoTrainer(student, tiny_policy(2, "abce>"), {}, prompts(), config("b")); },
               "is 'e' for the teacher's tokenizer but 'd' for the student's (the policy's)");
  expect_error([&] { grpo::GrpoTrainer(student, student, {}, prompts(), config("c")); },
               "the teacher shares parameters with the policy (the student)");
  expect_error(
      [&] {
        grpo::GrpoTrainer(student, tiny_policy(2), {}, prompts(), config("d"),
                          grpo::DistillationOptions().reward_weight(-1.0));
      },
      "DistillationOptions: reward_weight must be finite and >= 0, got -1");
  // Without a teacher, no rewards stays an error.
  expect_error([&] { grpo::GrpoTrainer(student, {}, prompts(), config("e")); }, "no rewards");
}
