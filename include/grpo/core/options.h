#pragma once
/// @file Named choices of the GRPO objective, shared by the loss, the advantage
/// estimator and the trainer configuration, with their config-file spellings.

#include <string>

namespace grpo {

/// How each token's loss is aggregated into the scalar that is differentiated.
/// The config-file spellings are TRL's `GRPOConfig.loss_type` values.
enum class LossType {
  /// `grpo`: mean over a completion's tokens, then mean over completions
  /// (DeepSeekMath arXiv:2402.03300 eq. 3). Biased toward short correct answers.
  kGrpo,
  /// `bnpo`: sum over all active tokens of the local batch / their count.
  kBnpo,
  /// `dr_grpo`: sum over tokens / (rows * max_completion_length)
  /// (Dr. GRPO, arXiv:2503.20783 sec. 3.2).
  kDrGrpo,
  /// `dapo`: sum over tokens / active tokens of the whole generation batch
  /// (DAPO arXiv:2503.14476 eq. 8, token-level policy gradient loss).
  kDapo,
};

/// Whether the importance ratio pi/pi_old is taken per token (GRPO) or as the
/// length-normalised sequence ratio exp(mean_t log(pi/pi_old)) (GSPO, arXiv:2507.18071 eq. 7).
enum class ImportanceSamplingLevel { kToken, kSequence };

/// How group-centred rewards are divided to make advantages.
enum class ScaleRewards {
  /// `group`: by the group's standard deviation (DeepSeekMath sec. 4.1.2).
  kGroup,
  /// `batch`: by the standard deviation of the whole batch (Lite PPO, arXiv:2508.08221).
  kBatch,
  /// `none`: not at all (Dr. GRPO, arXiv:2503.20783).
  kNone,
};

/// Config spelling of a choice, for example `to_string(LossType::kDrGrpo) == "dr_grpo"`.
std::string to_string(LossType value);
std::string to_string(ImportanceSamplingLevel value);
std::string to_string(ScaleRewards value);

/// Parses a config spelling (`grpo`, `bnpo`, `dr_grpo`, `dapo`).
/// @throws c10::Error naming the accepted values when `text` is none of them.
LossType parse_loss_type(const std::string& text);
/// Parses `token` or `sequence`.
/// @throws c10::Error naming the accepted values when `text` is neither.
ImportanceSamplingLevel parse_importance_sampling_level(const std::string& text);
/// Parses `group`, `batch` or `none`.
/// @throws c10::Error naming the accepted values when `text` is none of them.
ScaleRewards parse_scale_rewards(const std::string& text);

}  // namespace grpo
