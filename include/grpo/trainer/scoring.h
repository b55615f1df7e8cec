#pragma once
/// @file From a rollout to rewards: what each reward sees of a sampled completion, and the
/// [N, K] reward table of a batch under an error policy. Shared by GrpoTrainer and evaluate().
///
/// Shapes: B = prompts, G = completions per prompt, N = B*G rows (row = prompt * G + k), K = rewards.

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grpo {

/// The RewardInput of every rollout row: prompt and columns of its dataset row, completion text,
/// token ids and truncation, and its group (row r belongs to group r / G, the B prompts' order).
/// Reads the rollout's tensors back from the device once.
/// @param prompt_rows B dataset rows, prompt_rows[b] the row prompt b was sampled for; non-null.
/// @throws c10::Error if prompt_rows.size() * G is not the rollout's row count.
std::vector<RewardInput> reward_inputs(const Rollout& rollout, const std::vector<const PromptRow*>& prompt_rows);

/// What a reward that throws does (GrpoConfig::reward_error_policy).
enum class RewardErrorPolicy {
  kFail,  ///< `fail`: the error propagates, naming the reward, the row and the message
  kNaN,   ///< `nan`: the failing rows score NaN ("does not apply") and are counted
};

/// Parses `fail` or `nan`. @throws c10::Error naming the accepted values for anything else.
RewardErrorPolicy parse_reward_error_policy(const std::string& text);

/// The rewards of a batch.
struct RewardTable {
  /// [N, K] float64 on the CPU: reward k of row i, NaN where it does not apply (or failed under kNaN).
  torch::Tensor rewards_per_func;
  /// Rows scored NaN because a reward threw (kNaN), counted once per (row, reward).
  int64_t errors = 0;
};

/// Scores every row with every reward (RewardFn::score, rows in parallel).
/// @param context prefixed to errors and warnings, for example "step 12".
/// @throws c10::Error under kFail when a reward throws, naming `context`, the reward and the row.
RewardTable score_rewards(const std::vector<std::shared_ptr<RewardFn>>& rewards, const std::vector<RewardInput>& rows,
                          RewardErrorPolicy policy, const std::string& context);

}  // namespace grpo
