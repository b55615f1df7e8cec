// The core math gives the same numbers on CUDA as on the CPU (float32, within 1e-5).
#include <grpo/core/advantages.h>
#include <grpo/core/loss.h>

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace {

constexpr double kTol = 1e-5;

void expect_same(const torch::Tensor& cpu, const torch::Tensor& cuda, const char* what) {
  const auto diff = (cpu - cuda.cpu()).abs().nan_to_num(0.0).max().item<double>();
  EXPECT_LE(diff, kTol) << what << ": max abs diff " << diff;
  EXPECT_TRUE(torch::equal(torch::isnan(cpu), torch::isnan(cuda.cpu()))) << what << ": NaN pattern";
}

}  // namespace

TEST(Cuda, AdvantagesMatchCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  torch::manual_seed(0);
  auto rewards = torch::rand({64, 3});
  rewards.index_put_({torch::rand({64, 3}) < 0.1}, std::numeric_limits<float>::quiet_NaN());
  auto weights = torch::tensor({1.0f, 0.5f, 2.0f});
  for (auto scale : {grpo::ScaleRewards::kGroup, grpo::ScaleRewards::kBatch, grpo::ScaleRewards::kNone}) {
    const auto options = grpo::AdvantageOptions(8).scale_rewards(scale);
    auto cpu = grpo::compute_advantages(rewards, weights, options);
    auto gpu = grpo::compute_advantages(rewards.cuda(), weights.cuda(), options);
    expect_same(cpu.advantages, gpu.advantages, "advantages");
    expect_same(cpu.reward_std_per_func, gpu.reward_std_per_func, "reward_std_per_func");
  }
}

TEST(Cuda, LossAndGradientMatchCpu) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device on this machine";
  torch::manual_seed(0);
  const int64_t n = 16, t = 40;
  auto logp = -torch::rand({n, t}) * 3;
  auto old = logp + torch::randn({n, t}) * 0.3;
  auto ref = logp + torch::randn({n, t}) * 0.3;
  auto adv = torch::randn({n});
  auto lengths = torch::randint(1, t + 1, {n, 1});
  auto mask = torch::arange(t).unsqueeze(0) < lengths;
  for (auto type : {grpo::LossType::kGrpo, grpo::LossType::kBnpo, grpo::LossType::kDrGrpo,
                    grpo::LossType::kDapo}) {
    for (auto level : {grpo::ImportanceSamplingLevel::kToken, grpo::ImportanceSamplingLevel::kSequence}) {
      grpo::GrpoLoss loss(grpo::GrpoLossOptions().loss_type(type).importance_sampling_level(level)
                              .beta(0.04).epsilon_high(0.28).max_completion_length(t));
      auto run = [&](torch::Device device) {
        grpo::GrpoLossInputs in;
        // A fresh leaf per run: `logp.to(kCPU)` alone would be `logp` itself, so the CPU run would
        // mark the shared tensor and the CUDA copy would then be a non-leaf without a gradient.
        in.logprobs = logp.detach().to(device, /*non_blocking=*/false, /*copy=*/true).requires_grad_(true);
        in.old_logprobs = old.to(device);
        in.ref_logprobs = ref.to(device);
        in.advantages = adv.to(device);
        in.completion_mask = mask.to(device);
        auto out = loss(in);
        out.loss.backward();
        return std::make_pair(out, in.logprobs.grad());
      };
      auto [cpu, cpu_grad] = run(torch::kCPU);
      auto [gpu, gpu_grad] = run(torch::kCUDA);
      ASSERT_TRUE(cpu_grad.defined() && gpu_grad.defined());
      expect_same(cpu.loss, gpu.loss, "loss");
      expect_same(cpu_grad, gpu_grad, "gradient");
      expect_same(cpu.kl_mean, gpu.kl_mean, "kl_mean");
      expect_same(cpu.clip_ratio_region_mean, gpu.clip_ratio_region_mean, "clip_ratio_region_mean");
    }
  }
}
