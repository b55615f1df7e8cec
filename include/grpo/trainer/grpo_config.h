#pragma once
/// @file Configuration of GrpoTrainer. Field names are TRL's `GRPOConfig` names wherever the
/// concept is the same, so a TRL user reads a grpo config without a dictionary.

#include <grpo/core/options.h>

#include <torch/arg.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// A reward by name with its parameters (see make_builtin_reward() and docs/rewards.md).
struct RewardSpec {
  std::string name;
  std::map<std::string, std::string> params;
};

/// Everything a GRPO run needs besides the policy and the data. Read from and written to JSON
/// (from_json_file(), to_json()); unknown keys are an error. Validated by validate(), which
/// GrpoTrainer's constructor calls.
struct GrpoConfig {
  // --- run ---
  /// Directory of metrics.jsonl, samples.jsonl, checkpoints and the resolved config.
  /// Default: `runs/grpo`.
  TORCH_ARG(std::string, output_dir) = "runs/grpo";
  /// `auto` (CUDA when present, else CPU), `cpu`, `cuda` or `cuda:N`. Default: `auto`.
  TORCH_ARG(std::string, device) = "auto";
  /// Seed of data order, sampling and dropout-free initialisation, >= 0. Default: 42.
  TORCH_ARG(int64_t, seed) = 42;
  /// Training steps; one step samples one generation batch and makes num_iterations optimizer
  /// updates on it, >= 1. Default: 100.
  TORCH_ARG(int64_t, max_steps) = 100;

  // --- batch ---
  /// Completions per prompt (G, the group size), >= 2. Default: 8.
  TORCH_ARG(int64_t, num_generations) = 8;
  /// Completions per forward/backward micro-batch, >= 1. Default: 8.
  TORCH_ARG(int64_t, per_device_train_batch_size) = 8;
  /// Micro-batches per optimizer update, >= 1. A step's generation batch holds
  /// per_device_train_batch_size * gradient_accumulation_steps completions, a multiple of
  /// num_generations (so prompts per step = that / G). Default: 1.
  TORCH_ARG(int64_t, gradient_accumulation_steps) = 1;
  /// Optimizer updates per generation batch (mu in DeepSeekMath alg. 1), >= 1. Default: 1.
  TORCH_ARG(int64_t, num_iterations) = 1;

  // --- sampling ---
  /// Most tokens per completion, >= 1. Default: 256.
  TORCH_ARG(int64_t, max_completion_length) = 256;
  /// Sampling temperature, > 0; log-probabilities are taken at the same temperature. Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Nucleus sampling, in (0, 1]. Default: 1 (off).
  TORCH_ARG(double, top_p) = 1.0;
  /// Top-k sampling, >= 0. Default: 0 (off).
  TORCH_ARG(int64_t, top_k) = 0;
  /// Strings that end a completion (kept in it). Default: none.
  TORCH_ARG(std::vector<std::string>, stop_strings) = {};

  // --- objective (see docs/algorithm.md) ---
  TORCH_ARG(LossType, loss_type) = LossType::kDapo;
  TORCH_ARG(ImportanceSamplingLevel, importance_sampling_level) = ImportanceSamplingLevel::kToken;
  TORCH_ARG(ScaleRewards, scale_rewards) = ScaleRewards::kGroup;
  /// KL coefficient, >= 0; 0 creates no reference model. Default: 0.
  TORCH_ARG(double, beta) = 0.0;
  /// Lower clip range, in [0, 1). Default: 0.2.
  TORCH_ARG(double, epsilon) = 0.2;
  /// Upper clip range, >= 0; unset means epsilon. Default: unset.
  TORCH_ARG(std::optional<double>, epsilon_high) = std::nullopt;
  /// Two-sided clipping bound, > 1. Default: unset.
  TORCH_ARG(std::optional<double>, delta) = std::nullopt;
  /// Importance-weight the KL term (DeepSeek-V3.2). Default: true.
  TORCH_ARG(bool, use_bias_correction_kl) = true;
  /// Leave truncated completions out of the loss (DAPO sec. 3.4, overlong filtering). Default: false.
  TORCH_ARG(bool, mask_truncated_completions) = false;

  // --- rewards ---
  /// The rewards, by name and parameters. At least one. Default: none.
  TORCH_ARG(std::vector<RewardSpec>, reward_funcs) = {};
  /// One weight per reward; empty means all 1. Default: empty.
  TORCH_ARG(std::vector<double>, reward_weights) = {};
  /// What a reward that throws does: `fail` stops training with the reward, row and message;
  /// `nan` scores the failing rows NaN ("does not apply"), counts them in the metric
  /// `reward_errors` and logs a warning. Default: `fail`.
  TORCH_ARG(std::string, reward_error_policy) = "fail";

  // --- optimizer (AdamW) and schedule ---
  TORCH_ARG(double, learning_rate) = 1e-6;
  TORCH_ARG(double, adam_beta1) = 0.9;
  TORCH_ARG(double, adam_beta2) = 0.999;
  TORCH_ARG(double, adam_epsilon) = 1e-8;
  TORCH_ARG(double, weight_decay) = 0.0;
  /// Gradient norm clip, > 0, or 0 for none. Default: 1.
  TORCH_ARG(double, max_grad_norm) = 1.0;
  /// Mixed precision (TRL's `bf16`): sampling and scoring run under bfloat16 autocast
  /// (Policy::set_autocast_dtype) while parameters, gradients and the optimizer stay in their
  /// own dtype (float32 master weights). Default: false.
  TORCH_ARG(bool, bf16) = false;
  /// `linear` (decay to 0), `cosine` or `constant`, after warmup. Default: `linear`.
  TORCH_ARG(std::string, lr_scheduler_type) = "linear";
  /// Share of the optimizer updates spent warming the learning rate up from 0, in [0, 1]. Default: 0.
  TORCH_ARG(double, warmup_ratio) = 0.0;

  // --- logging, evaluation, checkpoints ---
  /// A console line every this many steps, >= 1 (metrics.jsonl gets every step). Default: 1.
  TORCH_ARG(int64_t, logging_steps) = 1;
  /// Completions written to samples.jsonl every this many steps, >= 0 (0 = never). Default: 10.
  TORCH_ARG(int64_t, log_completions_steps) = 10;
  /// A checkpoint every this many steps, >= 0 (0 = only at the end). Default: 0.
  TORCH_ARG(int64_t, save_steps) = 0;
  /// Checkpoints kept, >= 1 (older ones are removed). Default: 2.
  TORCH_ARG(int64_t, save_total_limit) = 2;
  /// Held-out evaluation every this many steps, >= 0 (0 = never). Default: 0.
  TORCH_ARG(int64_t, eval_steps) = 0;

 public:
  /// Checks every field.
  /// @throws c10::Error naming the field and the value for the first one out of range.
  void validate() const;

  /// The config as a JSON object (every field, so the file documents the run).
  std::string to_json() const;
  /// Reads a JSON object; absent keys keep their defaults.
  /// @throws c10::Error naming the key for an unknown key, a value of the wrong type or an
  ///         invalid choice, and naming the position for malformed JSON.
  static GrpoConfig from_json(const std::string& text);
  /// from_json() of a file. @throws c10::Error naming the file as well.
  static GrpoConfig from_json_file(const std::string& path);
};

}  // namespace grpo
