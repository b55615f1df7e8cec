#pragma once
/// @file The GRPO clipped-surrogate objective with a K3 KL penalty, and its variants
/// (DAPO clip-higher and token-level loss, Dr. GRPO, GSPO sequence ratios, two-sided clipping).
///
/// Shapes: N = B*G completions (rows), T = completion tokens (padded on the right).

#include <grpo/core/options.h>

#include <torch/arg.h>
#include <torch/types.h>

#include <cstdint>
#include <optional>

namespace grpo {

/// Options of GrpoLoss, named as TRL's `GRPOConfig`; validated once, in GrpoLoss's constructor.
struct GrpoLossOptions {
  /// How token losses become one scalar. Default: LossType::kDapo (TRL's default).
  TORCH_ARG(LossType, loss_type) = LossType::kDapo;
  /// Per-token (GRPO) or per-sequence (GSPO) importance ratio. Default: kToken.
  TORCH_ARG(ImportanceSamplingLevel, importance_sampling_level) = ImportanceSamplingLevel::kToken;
  /// Lower clip range: ratios below 1 - epsilon_low are clipped, in [0, 1). Default: 0.2
  /// (TRL's `epsilon`).
  TORCH_ARG(double, epsilon_low) = 0.2;
  /// Upper clip range: ratios above 1 + epsilon_high are clipped, >= 0. DAPO's clip-higher
  /// uses 0.28 (arXiv:2503.14476 sec. 3.1). Default: 0.2.
  TORCH_ARG(double, epsilon_high) = 0.2;
  /// Two-sided clipping: when set, the unclipped ratio is also capped at delta, > 1
  /// (INTELLECT-2, arXiv:2505.07291 sec. 3.3). Default: unset.
  TORCH_ARG(std::optional<double>, delta) = std::nullopt;
  /// KL coefficient beta, >= 0; 0 means no reference model is needed. Default: 0 (as TRL).
  TORCH_ARG(double, beta) = 0.0;
  /// Multiplies each token's K3 term by the (differentiable) importance ratio pi/pi_old, which
  /// makes its gradient the unbiased gradient of the reverse KL for samples drawn from pi_old
  /// (DeepSeek-V3.2, arXiv:2512.02556 sec. 3.1). The value is unchanged on-policy (ratio 1);
  /// the gradient is not. Off gives DeepSeekMath's plain K3 penalty. Default: true (as TRL 1.16).
  TORCH_ARG(bool, use_bias_correction_kl) = true;
  /// Completion length cap in tokens, >= 1; the dr_grpo normaliser. Default: 256 (as TRL).
  TORCH_ARG(int64_t, max_completion_length) = 256;
};

/// The tensors of one (micro-)batch that GrpoLoss reads. All on one device.
struct GrpoLossInputs {
  /// [N, T] floating, requires grad: log pi_theta of each completion token.
  torch::Tensor logprobs;
  /// [N, T] same dtype, detached: log pi_old from the sampling step. Undefined means
  /// mu = 1 (one update per batch), where pi_old is the detached current policy.
  torch::Tensor old_logprobs;
  /// [N, T] same dtype, detached: log pi_ref of the frozen reference model. Required when
  /// beta > 0, ignored when beta = 0.
  torch::Tensor ref_logprobs;
  /// [N] (or [N, T] for per-token advantages) floating: the advantages.
  torch::Tensor advantages;
  /// [N, T] bool, integer or floating, 1 for a completion token that counts, 0 for padding
  /// (or for a truncated completion when it is masked).
  torch::Tensor completion_mask;
  /// dapo only: active tokens in the whole generation batch that this micro-batch belongs to,
  /// so that gradient accumulation and several processes agree (DAPO eq. 8). Unset: the
  /// active tokens of this micro-batch.
  std::optional<double> num_items_in_batch;
  /// Micro-batches accumulated into one optimiser step, >= 1: grpo, bnpo and dr_grpo losses
  /// are divided by it (dapo's normaliser already spans the generation batch).
  int64_t gradient_accumulation_steps = 1;
};

/// What GrpoLoss returns: the loss to differentiate and TRL's logged statistics.
/// The statistics are detached 0-dim tensors on the inputs' device (no host sync);
/// call `.item<double>()` when logging.
struct GrpoLossOutput {
  /// [] the scalar to call backward() on.
  torch::Tensor loss;
  /// [] mean KL term over active tokens (times the ratio with use_bias_correction_kl); 0 when
  /// beta = 0 (TRL's `kl`).
  torch::Tensor kl_mean;
  /// [] mean importance ratio pi/pi_old over active tokens (sequences for GSPO), before
  /// any delta cap.
  torch::Tensor ratio_mean;
  /// [] share of active tokens with ratio < 1 - epsilon_low and A < 0 (TRL's `clip_ratio/low_mean`).
  torch::Tensor clip_ratio_low_mean;
  /// [] share with ratio > 1 + epsilon_high and A > 0 (TRL's `clip_ratio/high_mean`).
  torch::Tensor clip_ratio_high_mean;
  /// [] share clipped either way (TRL's `clip_ratio/region_mean`).
  torch::Tensor clip_ratio_region_mean;
  /// [] smallest per-completion low-clip share (TRL's `clip_ratio/low_min`).
  torch::Tensor clip_ratio_low_min;
  /// [] largest per-completion high-clip share (TRL's `clip_ratio/high_max`).
  torch::Tensor clip_ratio_high_max;
};

/// The GRPO objective, negated for minimisation:
///
///   ratio_t  = exp(logp_t - old_t)                       (token level)
///            = exp(sum_t m_t (logp_t - old_t) / |m|)     (sequence level, GSPO eq. 7)
///   L_t      = -min(min(ratio_t, delta) A, clip(ratio_t, 1 - eps_low, 1 + eps_high) A)
///              + beta * [ratio_t] * (exp(ref_t - logp_t) - (ref_t - logp_t) - 1)
///
/// (the [ratio_t] factor only with use_bias_correction_kl)
/// (DeepSeekMath arXiv:2402.03300 eq. 3 and the K3 estimator of eq. 4), aggregated by
/// `loss_type`. Matches TRL 1.16 `GRPOTrainer._compute_loss` for one process; see
/// docs/algorithm.md for each term's line and every deliberate deviation.
class GrpoLoss {
 public:
  /// @throws c10::Error if epsilon_low is outside [0, 1), epsilon_high < 0, delta <= 1,
  ///         beta < 0 or not finite, or max_completion_length < 1.
  explicit GrpoLoss(GrpoLossOptions options = {});

  /// Computes the loss on one (micro-)batch. Works on any device; no host sync.
  /// @throws c10::Error naming the tensor and the value if a tensor is missing or of the
  ///         wrong shape, dtype or device, if beta > 0 and ref_logprobs is undefined, or if
  ///         num_items_in_batch <= 0 or gradient_accumulation_steps < 1.
  GrpoLossOutput operator()(const GrpoLossInputs& inputs) const;

  const GrpoLossOptions& options() const noexcept { return options_; }

 private:
  GrpoLossOptions options_;
};

}  // namespace grpo
