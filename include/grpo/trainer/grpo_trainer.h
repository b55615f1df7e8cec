#pragma once
/// @file GrpoTrainer: the GRPO training loop (DeepSeekMath arXiv:2402.03300 alg. 1, outcome
/// supervision, no critic) over a Policy, rule-based rewards and a prompt dataset.
///
/// Shapes: B = prompts per step, G = num_generations, N = B*G completions (row = prompt*G + k),
///         T = completion tokens, K = reward functions.

#include <grpo/core/advantages.h>
#include <grpo/core/loss.h>
#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>
#include <grpo/trainer/grpo_config.h>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// What one training step measured; also one line of metrics.jsonl (to_json()).
/// Means are over the step's N completions unless said otherwise.
struct StepStats {
  int64_t step = 0;                          ///< 1-based step just finished
  double loss = 0;                           ///< mean loss over the step's optimizer updates
  double reward = 0;                         ///< weighted reward, NaN rows ignored
  double reward_std = 0;
  double frac_reward_zero_std = 0;           ///< share of rows in zero-std groups
  std::map<std::string, double> reward_means;  ///< per reward name
  std::map<std::string, double> reward_stds;
  int64_t reward_errors = 0;                 ///< rows scored NaN after a reward threw (policy `nan`)
  double kl = 0;                             ///< mean KL term (0 when beta = 0)
  double entropy = 0;                        ///< mean per-token entropy of the policy, nats
  double clip_ratio_low = 0, clip_ratio_high = 0, clip_ratio_region = 0;
  double completion_length_mean = 0;         ///< tokens
  double completion_length_max = 0;          ///< tokens
  double truncated_ratio = 0;                ///< share of completions cut at max_completion_length
  double learning_rate = 0;                  ///< of the step's last update
  double grad_norm = 0;                      ///< before clipping, of the step's last update
  double sampling_tokens_per_second = 0;     ///< completion tokens sampled / sampling seconds
  double training_tokens_per_second = 0;     ///< tokens through forward + backward / seconds
  double step_seconds = 0;                   ///< wall clock

  /// One JSON object with every field (reward means and stds as `rewards/<name>/mean|std`).
  std::string to_json() const;
};

/// Options of evaluate().
struct EvalOptions {
  /// Samples per prompt for pass@1, >= 1. Default: 4.
  TORCH_ARG(int64_t, num_samples) = 4;
  /// Sampling temperature of the pass@1 samples, > 0. Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Most tokens per completion, >= 1. Default: 256.
  TORCH_ARG(int64_t, max_new_tokens) = 256;
  /// Prompts per generate() call, >= 1. Default: 64.
  TORCH_ARG(int64_t, batch_prompts) = 64;
  /// A completion is correct when the reward is >= this. Default: 1.
  TORCH_ARG(double, correct_threshold) = 1.0;
  /// Sampling seed. Default: 1234.
  TORCH_ARG(uint64_t, seed) = 1234;
  /// Stop strings of the sampler. Default: none.
  TORCH_ARG(std::vector<std::string>, stop_strings) = {};
};

/// Held-out accuracy: greedy and pass@1.
struct EvalResult {
  int64_t num_prompts = 0;
  double greedy_accuracy = 0;      ///< share of prompts whose greedy completion is correct
  double greedy_stderr = 0;        ///< binomial standard error sqrt(p (1 - p) / n)
  double pass_at_1 = 0;            ///< mean over prompts of the share of correct samples
  double pass_at_1_stderr = 0;     ///< standard error of that mean over prompts
  int64_t num_samples = 0;         ///< samples per prompt behind pass_at_1
  std::string to_json() const;
};

/// Greedy accuracy and pass@1 (Chen et al. arXiv:2107.03374, with n = k samples, estimator
/// c / n per prompt) of `policy` on `dataset`, judged by `correctness`.
/// @throws c10::Error if an option is out of range or the reward throws.
EvalResult evaluate(Policy& policy, const PromptDataset& dataset, const RewardFn& correctness,
                    const EvalOptions& options = {});

/// The GRPO trainer. One step:
///   sample G completions for each of B prompts (old policy) -> score with the rewards ->
///   group-normalised advantages -> reference and old log-probabilities (when needed) ->
///   num_iterations x (micro-batch loss, backward, gradient accumulation, clip, AdamW) -> stats.
/// Every random choice derives from (seed, step), so a run resumed from a checkpoint reaches
/// the same parameters as an unbroken one.
class GrpoTrainer {
 public:
  /// @param policy the model to train (its parameters are updated in place).
  /// @param rewards one per config.reward_funcs() entry, in order; empty = build them with
  ///        make_builtin_reward() from config.reward_funcs().
  /// @param train_dataset prompts (and the columns the rewards read), at least one row.
  /// @throws c10::Error if the config is invalid, the rewards do not match reward_funcs,
  ///         the dataset is empty, or the output directory cannot be created.
  GrpoTrainer(Policy policy, std::vector<std::shared_ptr<RewardFn>> rewards, PromptDataset train_dataset,
              GrpoConfig config);

  /// Runs one step and appends it to metrics.jsonl (and samples.jsonl when due).
  /// @throws c10::Error if the loss is not finite (naming the step and its statistics), or if
  ///         a reward throws under reward_error_policy `fail`.
  StepStats step();

  /// Steps until max_steps, with a console line every logging_steps, checkpoints every
  /// save_steps and at the end, and evaluation every eval_steps when an eval set was given;
  /// finally writes the trained model to `output_dir/model` (Policy::save_pretrained).
  void train();

  /// Sets the held-out set and the reward that judges correctness for evaluation during train().
  void set_eval(PromptDataset dataset, std::shared_ptr<RewardFn> correctness, EvalOptions options);

  /// Writes `output_dir/checkpoint-<step>` atomically: a Hugging Face model directory
  /// (Policy::save_pretrained, so transformers and Policy::from_pretrained load it) plus
  /// `reference.safetensors` (beta > 0), `optimizer.pt` and `trainer_state.json`; removes the
  /// oldest beyond save_total_limit. Returns the directory.
  std::string save_checkpoint();

  /// Restores model, reference model, optimizer and step from a directory written by
  /// save_checkpoint(), or from the newest one in output_dir when given "latest".
  /// @throws c10::Error naming the directory and the file if one is missing or malformed.
  void resume(const std::string& checkpoint_dir);

  /// Steps done so far.
  int64_t global_step() const { return step_; }
  Policy& policy() { return policy_; }
  const GrpoConfig& config() const { return config_; }

 private:
  std::vector<std::vector<double>> score(const std::vector<RewardInput>& rows, int64_t& errors) const;
  double learning_rate_at(int64_t update) const;
  std::vector<int64_t> step_prompt_indices() const;

  GrpoConfig config_;
  Policy policy_;
  std::optional<Policy> reference_;
  std::vector<std::shared_ptr<RewardFn>> rewards_;
  torch::Tensor reward_weights_;
  PromptDataset train_dataset_;
  GrpoLoss loss_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_ = 0;
  std::optional<PromptDataset> eval_dataset_;
  std::shared_ptr<RewardFn> eval_correctness_;
  EvalOptions eval_options_;
};

}  // namespace grpo
