#pragma once
/// @file Group-relative advantages from rule-based rewards (GRPO's replacement for a critic).
///
/// Shapes: N = B*G completions, grouped contiguously (row = prompt * G + k),
///         G = group size (completions per prompt), K = reward functions.

#include <grpo/core/options.h>

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>

namespace grpo {

/// Options of compute_advantages(), named as TRL's `GRPOConfig`.
struct AdvantageOptions {
  /// @param num_generations completions per prompt (G, the group size, TRL's `num_generations`); at least 2.
  explicit AdvantageOptions(int64_t num_generations) : num_generations_(num_generations) {}

  /// Completions per prompt, G >= 2. Rows `g*G .. g*G+G-1` form group g.
  TORCH_ARG(int64_t, num_generations);
  /// What the centred reward is divided by. Default: ScaleRewards::kGroup.
  TORCH_ARG(ScaleRewards, scale_rewards) = ScaleRewards::kGroup;
  /// Added to the standard deviation before dividing, >= 0 (the eps of A = (r - mean) / (std +
  /// eps); not the clip range GrpoConfig::epsilon). Default: 1e-4 (as TRL).
  TORCH_ARG(double, std_epsilon) = 1e-4;
};

/// What compute_advantages() returns: the advantages and the statistics a logger reports.
/// All tensors are detached, of the rewards' dtype and on the rewards' device.
struct AdvantageResult {
  /// [N] advantage of each completion, used for every one of its tokens.
  /// 0 for an unscorable row (every reward NaN) and for a row whose group is all NaN.
  torch::Tensor advantages;
  /// [N] weighted sum of the rewards, NaN marking "not applicable" skipped; NaN for an unscorable row.
  torch::Tensor rewards;
  /// [K] mean of each reward function over the rows where it applies (NaN ignored).
  torch::Tensor reward_mean_per_func;
  /// [K] unbiased standard deviation of each reward function, NaN ignored.
  torch::Tensor reward_std_per_func;
  /// [] mean of `rewards`, NaN ignored (TRL's `reward`).
  torch::Tensor reward_mean;
  /// [] unbiased standard deviation of `rewards`, NaN ignored (TRL's `reward_std`).
  torch::Tensor reward_std;
  /// [] share of rows whose scaling standard deviation (group, or batch for kBatch) is zero:
  /// groups that carry no learning signal (TRL's `frac_reward_zero_std`).
  torch::Tensor frac_reward_zero_std;
};

/// Group-normalised advantages A_i = (r_i - mean(r_group)) / (std(r_group) + std_epsilon).
///
/// Source: DeepSeekMath arXiv:2402.03300 sec. 4.1.2 (outcome supervision); the weighted sum
/// of rewards, NaN handling and `scale_rewards` follow TRL's `GRPOTrainer` (1.16): rewards
/// are combined as nansum(r_k * w_k), a row whose every reward is NaN is unscorable and left
/// out of its group's mean and std, and its advantage is 0; the std is the unbiased (n-1) one.
/// With ScaleRewards::kBatch the mean stays per group and the std is the batch's.
///
/// @param rewards_per_func [N, K] floating, any device: reward k of completion i; NaN means
///        "reward k does not apply to completion i".
/// @param reward_weights [K] floating, same device: weight of each reward function.
/// @param options group size, scaling, std_epsilon.
/// @throws c10::Error if a tensor has the wrong rank, dtype, size or device, if N is not a
///         positive multiple of the group size, if num_generations < 2 or if std_epsilon < 0.
AdvantageResult compute_advantages(const torch::Tensor& rewards_per_func,
                                   const torch::Tensor& reward_weights,
                                   const AdvantageOptions& options);

}  // namespace grpo
