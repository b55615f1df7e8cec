#pragma once
/// @file Configuration of GrpoTrainer. Field names are TRL's `GRPOConfig` names wherever the
/// concept is the same, so a TRL user reads a grpo config without a dictionary.

#include <grpo/core/options.h>
#include <grpo/trainer/training_args.h>

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

/// A reward spec as written on a command line: "name" or "name:key=value,key=value" (a value
/// may be empty and may contain '='; a repeated key keeps the last value).
/// @throws c10::Error naming the spec when a parameter is not key=value with a non-empty key.
RewardSpec parse_reward_spec(const std::string& spec);

/// Everything a GRPO run needs besides the policy, the rewards and the data: the shared
/// TrainingArguments (run directory, seed, steps, batch, AdamW, schedule, logging, checkpoints)
/// plus sampling, the objective and the rewards by name. Read from and written to JSON
/// (from_json_file(), to_json()); unknown keys are an error. Validated by validate(), which
/// GrpoTrainer's constructor calls.
///
/// Batch: a step samples a generation batch of per_device_train_batch_size *
/// gradient_accumulation_steps completions, num_generations per prompt, so it draws
/// (that / num_generations) prompts; it then makes num_iterations optimizer updates on it, each
/// over all of its micro-batches.
struct GrpoConfig : TrainingConfig<GrpoConfig> {
  GrpoConfig() { output_dir("runs/grpo"); }

  // --- group and updates ---
  /// Completions per prompt (G, the group size), >= 2. Default: 8.
  TORCH_ARG(int64_t, num_generations) = 8;
  /// Optimizer updates per generation batch (mu in DeepSeekMath alg. 1), >= 1; with mu > 1 the
  /// importance ratio is taken against the sampling policy's log-probabilities. Default: 1.
  TORCH_ARG(int64_t, num_iterations) = 1;

  // --- sampling ---
  /// Most tokens per completion, >= 1. Default: 256.
  TORCH_ARG(int64_t, max_completion_length) = 256;
  /// Sampling temperature, finite and > 0; log-probabilities are taken at the same temperature.
  /// Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Nucleus sampling, in (0, 1]. Default: 1 (off).
  TORCH_ARG(double, top_p) = 1.0;
  /// Top-k sampling, >= 0. Default: 0 (off).
  TORCH_ARG(int64_t, top_k) = 0;
  /// Strings that end a completion (kept in it). Default: none.
  TORCH_ARG(std::vector<std::string>, stop_strings) = {};
  /// Sampling with static shapes, replayed as CUDA graphs on a CUDA device
  /// (SamplingOptions::cuda_graphs). Default: false.
  TORCH_ARG(bool, cuda_graphs) = false;
  /// Continuous batching: the most completions decoded at once, 0 = all of a step's
  /// completions; otherwise >= num_generations (SamplingOptions::max_decode_rows). The
  /// rollout is the same for any value. Default: 0.
  TORCH_ARG(int64_t, max_decode_rows) = 0;

  // --- objective (docs/algorithm.md) ---
  /// How token losses are aggregated (`grpo`, `bnpo`, `dr_grpo`, `dapo`; see LossType).
  /// Default: `dapo` (as TRL).
  TORCH_ARG(LossType, loss_type) = LossType::kDapo;
  /// Importance ratio per token (`token`, GRPO) or per sequence (`sequence`, GSPO
  /// arXiv:2507.18071). Default: `token`.
  TORCH_ARG(ImportanceSamplingLevel, importance_sampling_level) = ImportanceSamplingLevel::kToken;
  /// What centred rewards are divided by: the group's std (`group`), the batch's (`batch`) or
  /// nothing (`none`, Dr. GRPO). Default: `group`.
  TORCH_ARG(ScaleRewards, scale_rewards) = ScaleRewards::kGroup;
  /// KL coefficient (beta), finite and >= 0; 0 creates no reference model. Default: 0.
  TORCH_ARG(double, beta) = 0.0;
  /// Lower clip range (TRL's `epsilon`): ratios below 1 - epsilon are clipped, in [0, 1).
  /// Default: 0.2.
  TORCH_ARG(double, epsilon) = 0.2;
  /// Upper clip range, >= 0; unset means epsilon (DAPO's clip-higher uses 0.28). Default: unset.
  TORCH_ARG(std::optional<double>, epsilon_high) = std::nullopt;
  /// Two-sided clipping bound, > 1. Default: unset.
  TORCH_ARG(std::optional<double>, delta) = std::nullopt;
  /// Importance-weight the KL term (DeepSeek-V3.2). Default: true.
  TORCH_ARG(bool, use_bias_correction_kl) = true;
  /// Leave truncated completions out of the loss (DAPO sec. 3.4, overlong filtering). Default: false.
  TORCH_ARG(bool, mask_truncated_completions) = false;

  // --- rewards ---
  /// Built-in rewards by name and parameters (make_builtin_reward()), for configs and the CLI.
  /// A program may instead pass RewardFn objects to GrpoTrainer and leave this empty. Default: none.
  TORCH_ARG(std::vector<RewardSpec>, reward_funcs) = {};
  /// One weight per reward, finite; empty means all 1. Default: empty.
  TORCH_ARG(std::vector<double>, reward_weights) = {};
  /// What a reward that throws does: `fail` stops training with the reward, row and message;
  /// `nan` scores the failing rows NaN ("does not apply"), counts them in the metric
  /// `reward_errors` and logs a warning. Default: `fail`.
  TORCH_ARG(std::string, reward_error_policy) = "fail";

  // --- logging, evaluation ---
  /// Completions written to samples.jsonl every this many steps, >= 0 (0 = never). Default: 10.
  TORCH_ARG(int64_t, log_completions_steps) = 10;
  /// Held-out evaluation every this many steps, >= 0 (0 = never). Default: 0.
  TORCH_ARG(int64_t, eval_steps) = 0;

 public:
  /// Checks every field.
  /// @throws c10::Error "GrpoConfig: <field> must be <rule>, got <value>" for the first one out
  ///         of range, or naming the batch sizes when the generation batch is not a multiple of
  ///         num_generations.
  void validate() const override;

  /// Calls `visitor(key, field)` for every field, shared ones first: the one list that JSON
  /// reading and writing walk.
  template <typename Visitor>
  static void visit_fields(GrpoConfig& c, Visitor&& visitor);

  const char* config_name() const override { return "GrpoConfig"; }
};

// Defined in the library (src/trainer), where the JSON code lives.
extern template class TrainingConfig<GrpoConfig>;

}  // namespace grpo
