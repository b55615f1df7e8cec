#include <grpo/core/advantages.h>

#include <torch/torch.h>

namespace grpo {
namespace {

// Unbiased standard deviation ignoring NaN, over `dim` (all dims when dim is empty).
// A slice with one value has NaN std (0 * inf), as in TRL's nanstd.
torch::Tensor nanstd(const torch::Tensor& x, c10::OptionalIntArrayRef dim, bool keepdim) {
  auto mean = torch::nanmean(x, dim, /*keepdim=*/true);
  auto variance = torch::nanmean((x - mean).pow(2), dim, keepdim);
  auto count = (~torch::isnan(x)).sum(dim, keepdim).to(x.scalar_type());
  return (variance * (count / (count - 1))).sqrt();
}

void check_inputs(const torch::Tensor& rewards, const torch::Tensor& weights,
                  const AdvantageOptions& options) {
  TORCH_CHECK(options.num_generations() >= 2, "AdvantageOptions: num_generations must be >= 2, got ",
              options.num_generations());
  TORCH_CHECK(options.std_epsilon() >= 0.0, "AdvantageOptions: std_epsilon must be >= 0, got ",
              options.std_epsilon());
  TORCH_CHECK(rewards.defined() && rewards.dim() == 2,
              "compute_advantages: rewards_per_func must be [N, K], got shape ",
              rewards.defined() ? rewards.sizes() : c10::IntArrayRef{});
  TORCH_CHECK(torch::isFloatingType(rewards.scalar_type()),
              "compute_advantages: rewards_per_func must be floating, got ", rewards.scalar_type());
  const auto n = rewards.size(0);
  const auto k = rewards.size(1);
  TORCH_CHECK(k >= 1, "compute_advantages: rewards_per_func needs at least one reward column, got K = ", k);
  TORCH_CHECK(n > 0 && n % options.num_generations() == 0,
              "compute_advantages: N = ", n, " rows is not a positive multiple of num_generations ",
              options.num_generations());
  TORCH_CHECK(weights.defined() && weights.dim() == 1 && weights.size(0) == k,
              "compute_advantages: reward_weights must be [K] = [", k, "], got shape ",
              weights.defined() ? weights.sizes() : c10::IntArrayRef{});
  TORCH_CHECK(torch::isFloatingType(weights.scalar_type()),
              "compute_advantages: reward_weights must be floating, got ", weights.scalar_type());
  TORCH_CHECK(weights.device() == rewards.device(),
              "compute_advantages: reward_weights on ", weights.device(),
              " but rewards_per_func on ", rewards.device());
}

}  // namespace

AdvantageResult compute_advantages(const torch::Tensor& rewards_per_func,
                                   const torch::Tensor& reward_weights,
                                   const AdvantageOptions& options) {
  check_inputs(rewards_per_func, reward_weights, options);
  torch::NoGradGuard no_grad;
  const auto group = options.num_generations();
  const auto per_func = rewards_per_func.detach();
  const auto weights = reward_weights.to(per_func.scalar_type());

  // r_i = sum_k w_k r_ik over the rewards that apply; NaN when none applies.
  const auto unscorable = torch::isnan(per_func).all(/*dim=*/1);
  auto rewards = (per_func * weights.unsqueeze(0)).nansum(/*dim=*/1);
  rewards.masked_fill_(unscorable, std::numeric_limits<double>::quiet_NaN());

  const auto grouped = rewards.view({-1, group});
  const auto group_mean = torch::nanmean(grouped, /*dim=*/1).repeat_interleave(group);
  torch::Tensor std_rewards;
  if (options.scale_rewards() == ScaleRewards::kBatch) {
    std_rewards = nanstd(rewards, c10::nullopt, false).expand_as(rewards);
  } else {  // group, and none (where the group std is only logged)
    std_rewards = nanstd(grouped, /*dim=*/1, false).repeat_interleave(group);
  }
  auto advantages = rewards - group_mean;
  if (options.scale_rewards() != ScaleRewards::kNone) {
    advantages = advantages / (std_rewards + options.std_epsilon());
  }
  advantages = torch::nan_to_num(advantages, /*nan=*/0.0);

  AdvantageResult result;
  result.advantages = advantages;
  result.rewards = rewards;
  result.reward_mean_per_func = torch::nanmean(per_func, /*dim=*/0);
  result.reward_std_per_func = nanstd(per_func, /*dim=*/0, false);
  result.reward_mean = torch::nanmean(rewards);
  result.reward_std = nanstd(rewards, c10::nullopt, false);
  result.frac_reward_zero_std =
      torch::isclose(std_rewards, torch::zeros_like(std_rewards)).to(rewards.scalar_type()).mean();
  return result;
}

}  // namespace grpo
