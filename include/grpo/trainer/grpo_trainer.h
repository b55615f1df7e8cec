#pragma once
/// @file GrpoTrainer: the GRPO training loop (DeepSeekMath arXiv:2402.03300 alg. 1, outcome
/// supervision, no critic) over a Policy, rule-based rewards and a prompt dataset; with a teacher
/// Policy, on-policy distillation in the same loop (GKD arXiv:2306.13649).
///
/// Shapes: B = prompts per step, G = num_generations, N = B*G completions (row = prompt*G + k),
///         T = completion tokens, K = reward functions.

#include <grpo/core/advantages.h>
#include <grpo/core/loss.h>
#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>
#include <grpo/trainer/evaluation.h>
#include <grpo/trainer/grpo_config.h>
#include <grpo/trainer/scoring.h>
#include <grpo/trainer/trainer.h>

#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace grpo {

/// What one training step measured; also one line of metrics.jsonl (to_json(), TRL's keys).
struct StepStats {
  int64_t step = 0;                            ///< 1-based step just finished
  /// Loss summed over each update's micro-batches (the value whose gradient the update applies),
  /// averaged over the step's num_iterations updates.
  double loss = 0;
  double reward = 0;                           ///< mean weighted reward over the N rows, NaN rows ignored
  double reward_std = 0;                       ///< unbiased std of the weighted reward over the N rows
  double frac_reward_zero_std = 0;             ///< share of rows in groups whose reward std is 0
  std::map<std::string, double> reward_means;  ///< per reward name: mean over rows where it applies
  std::map<std::string, double> reward_stds;   ///< per reward name: unbiased std, same rows
  int64_t reward_errors = 0;                   ///< rows scored NaN after a reward threw (policy `nan`)
  /// Mean KL term over active tokens, averaged over micro-batches and updates (0 when beta = 0).
  double kl = 0;
  /// Mean per-token entropy of the policy (nats) over the completion tokens, first update.
  double entropy = 0;
  /// Shares of active tokens clipped low / high / either way, averaged over micro-batches and
  /// updates (TRL's clip_ratio/{low,high,region}_mean).
  double clip_ratio_low = 0, clip_ratio_high = 0, clip_ratio_region = 0;
  double completion_length_mean = 0;           ///< tokens, over the N completions
  double completion_length_max = 0;            ///< tokens
  double clipped_ratio = 0;                    ///< share of completions cut at max_completion_length
  double learning_rate = 0;                    ///< of the step's last update
  double grad_norm = 0;                        ///< global L2 norm before clipping, of the last update
  double sampling_tokens_per_second = 0;       ///< completion tokens sampled / sampling seconds
  double training_tokens_per_second = 0;       ///< prompt + completion tokens through forward + backward / seconds
  double step_seconds = 0;                     ///< wall clock of the whole step
  /// Seconds of the step's gradient all-reduces (`timing/allreduce_seconds`); set only when
  /// distributed.
  std::optional<double> allreduce_seconds;
  /// With a teacher: the mean over the N completions' tokens of log p_student - log p_teacher,
  /// the sampled estimate of the reverse KL(student || teacher) per token (nats). Unset without one.
  std::optional<double> reverse_kl;

  /// One JSON object with every field (reward means and stds as `rewards/<name>/mean|std`,
  /// clipped_ratio as `completions/clipped_ratio`, reverse_kl as `distill/reverse_kl` when set).
  /// Without rewards (distillation only) the reward statistics are NaN, written as null.
  std::string to_json() const;
};

/// One generation batch, sampled from the current (old) policy and scored: what optimize()
/// trains on. Tensors on the policy's device unless said otherwise.
/// One step's batch on this process. Distributed, each rank holds its own B prompts (its share of
/// the step's prompts) and N = B * G rows; the reward statistics and `totals` cover every rank's.
struct ScoredBatch {
  /// The step's B dataset rows, in group order.
  std::vector<int64_t> prompt_indices;
  /// The N completions.
  Rollout rollout;
  /// The N rows as the rewards saw them (host).
  std::vector<RewardInput> rows;
  /// [N, K] float64 CPU rewards and the rows that failed (RewardTable).
  RewardTable rewards;
  /// Advantages and reward statistics, float64 on the CPU (compute_advantages() over every
  /// rank's rows: `advantages` and `rewards` are this rank's N rows, the statistics global).
  AdvantageResult advantages;
  /// [N] float32 advantages on the device; with a teacher [N, T] float32 per-token advantages
  /// (GrpoTrainer's distillation constructor), 0 where completion_mask is 0.
  torch::Tensor device_advantages;
  /// [N, T] float32, 1 for a completion token in the loss (0 for padding and, with
  /// mask_truncated_completions, for truncated completions).
  torch::Tensor loss_mask;
  /// Tokens in the loss (the sum of loss_mask over every rank's rows, divided by the number of
  /// ranks, as TRL's num_items_in_batch / num_processes), >= 0; dapo's normaliser.
  double num_items = 0;
  /// [N, T] float32 log-probabilities of the reference model; undefined when beta = 0.
  torch::Tensor ref_logprobs;
  /// [N, T] float32 log-probabilities of the sampling policy; undefined when num_iterations = 1.
  torch::Tensor old_logprobs;
  /// [N, T] float32 log-probabilities of the teacher at the sampling temperature, 0 where
  /// completion_mask is 0; undefined without a teacher.
  torch::Tensor teacher_logprobs;
  /// [] float32 on the device: StepStats::reverse_kl before it is read; undefined without a teacher.
  torch::Tensor reverse_kl;
  /// Completion lengths in tokens, prompt lengths in tokens (host, N each).
  std::vector<int64_t> completion_lengths, prompt_lengths;
  /// Seconds spent sampling.
  double sampling_seconds = 0;
  /// Over every rank's rows: rows, completion tokens, the longest completion (tokens), rows cut
  /// at max_completion_length, rows scored NaN after a reward threw.
  struct Totals {
    double rows = 0, completion_tokens = 0, longest = 0, truncated = 0, reward_errors = 0;
  } totals;
};

/// What optimize() measured, read from the device once per update.
struct UpdateStats {
  double loss = 0, kl = 0, entropy = 0, clip_ratio_low = 0, clip_ratio_high = 0, clip_ratio_region = 0;
  double grad_norm = 0, learning_rate = 0;
  double trained_tokens = 0;  ///< prompt + completion tokens through forward + backward
  double seconds = 0;
  double allreduce_seconds = 0;  ///< gradient all-reduces (0 in one process)
};

/// Options of on-policy distillation (GrpoTrainer's constructor with a teacher).
struct DistillationOptions {
  /// Weight w of the rewards' group advantage A_i in each token's advantage
  /// A_{i,t} = log p_teacher - log p_student + w * A_i; finite and >= 0. 0 is pure on-policy
  /// distillation: rewards, when given, are scored and logged but do not train. Default: 0.
  TORCH_ARG(double, reward_weight) = 0.0;
};

/// The GRPO trainer. One step reads as three calls:
///   generate_and_score(): sample G completions for each of B prompts (old policy), score them
///     with the rewards, group-normalised advantages, reference and old log-probabilities (and
///     with a teacher its log-probabilities and the per-token advantages);
///   optimize(): num_iterations x (micro-batch loss, backward, gradient accumulation, clip, AdamW);
///   log_step(): metrics.jsonl and, when due, samples.jsonl.
/// Every random choice derives from (seed, step) (TrainingArguments::seed), so a run resumed
/// from a checkpoint reaches the same parameters as an unbroken one. Each prompt's completions
/// are drawn from a generator seeded by (seed, step, its place in the step's batch)
/// (SamplingOptions::prompt_seeds), so they do not depend on which process samples it.
///
/// Distributed (see Trainer), the step's batch is world_size * per_device_train_batch_size *
/// gradient_accumulation_steps completions: rank r samples the r-th consecutive share of the
/// step's prompts (whole groups), so the ranks together sample exactly what one process with the
/// whole batch would; the rewards of every rank are gathered before the advantages (so
/// scale_rewards `batch` and the logged reward statistics are global), dapo's num_items_in_batch
/// counts every rank's tokens, gradients are averaged before the clip, and the logged losses,
/// KL, clip ratios and entropy are averaged over the ranks. bnpo normalises per micro-batch, as
/// TRL does, so it depends on per_device_train_batch_size.
class GrpoTrainer : public Trainer {
 public:
  /// @param policy the model to train (its parameters are updated in place).
  /// @param rewards the reward functions; empty = build them from config.reward_funcs() by name
  ///        (make_builtin_reward()). When both are given, reward_funcs must name the same rewards
  ///        in the same order. Their weights are config.reward_weights() (empty: all 1).
  /// @param train_dataset prompts (and the columns the rewards read), at least one row.
  /// @throws c10::Error if the config is invalid, there is no reward, the rewards and
  ///         reward_funcs or reward_weights disagree, a reward is null, the dataset is empty, the
  ///         policy is not on config.device(), or the output directory cannot be created.
  GrpoTrainer(Policy policy, std::vector<std::shared_ptr<RewardFn>> rewards, PromptDataset train_dataset,
              GrpoConfig config);

  /// On-policy distillation in the GRPO loop: the student (`policy`) samples, the teacher scores
  /// the student's tokens (GKD, Agarwal et al. arXiv:2306.13649, with on-policy data and the
  /// reverse KL; Thinking Machines' "On-Policy Distillation", 2025). Each step scores the sampled
  /// completions under the teacher and under the sampling student with the same forward at the
  /// sampling temperature, and gives completion token t of row i the advantage
  ///   A_{i,t} = log p_teacher(y_t | x, y_<t) - log p_student(y_t | x, y_<t) + reward_weight * A_i,
  /// the negated per-token reverse KL(student || teacher) estimate plus the rewards' group
  /// advantage A_i (0 without rewards); [N, T] float32, detached, 0 on padding. The loss is
  /// GRPO's with these per-token advantages (beta, clipping and loss_type as configured); a
  /// teacher equal to the student gives advantages of exactly 0 (with reward_weight 0). The distillation stage of
  /// DeepSeek-R1 (arXiv:2501.12948 sec. 2.4) is SFT on teacher traces instead (SftTrainer).
  /// The teacher is scored without gradient, never updated and not saved in checkpoints (pass it
  /// again to resume). `rewards` and reward_funcs may both be empty here, and only here.
  /// @param teacher on the policy's device; its tokenizer must read token ids as the policy's
  ///        does (same vocab_size, text of every id and EOS id); its parameters must not be the
  ///        policy's (a Policy copy shares them: use clone_frozen() or load it separately).
  /// @throws c10::Error as the constructor above (but not for having no rewards), or if the
  ///         teacher is on another device, its tokenizer differs from the policy's (naming the
  ///         vocab sizes, or the first token id whose text differs with both texts, or the EOS
  ///         ids), it shares a parameter with the policy, or reward_weight is negative or not finite.
  GrpoTrainer(Policy policy, Policy teacher, std::vector<std::shared_ptr<RewardFn>> rewards,
              PromptDataset train_dataset, GrpoConfig config, DistillationOptions distillation = {});

  /// Runs one step (generate_and_score(), optimize(), log_step()).
  /// @throws c10::Error if the loss or the gradient norm is not finite (naming the step and its
  ///         statistics; the parameters are left as before that update), or if a reward throws
  ///         under reward_error_policy `fail`.
  StepStats step();

  /// Samples and scores the next generation batch (the step global_step() + 1 would train on).
  /// @throws c10::Error if a reward throws under reward_error_policy `fail`.
  ScoredBatch generate_and_score();
  /// num_iterations optimizer updates on `batch`, each over its micro-batches of
  /// per_device_train_batch_size rows; one host synchronisation per update.
  /// @throws c10::Error as step().
  UpdateStats optimize(const ScoredBatch& batch);
  /// Counts the step and writes its metrics (and samples when due). Returns the step's stats.
  /// @throws c10::Error naming the file if metrics.jsonl or samples.jsonl cannot be written.
  StepStats log_step(const ScoredBatch& batch, const UpdateStats& update, double step_seconds);

  /// Sets the held-out set and the reward that judges correctness for evaluation every
  /// eval_steps during train() (results in `<output_dir>/eval.jsonl`).
  /// @throws c10::Error if `correctness` is null.
  void set_eval(PromptDataset dataset, std::shared_ptr<RewardFn> correctness, EvalOptions options);

  const GrpoConfig& config() const { return config_; }
  /// The reward functions, in the order of the reward table's columns.
  const std::vector<std::shared_ptr<RewardFn>>& rewards() const { return rewards_; }

 protected:
  std::string train_step() override;
  void after_step() override;
  void save_extra_files(const std::string& dir) const override;
  void load_extra_files(const std::string& dir) override;

 private:
  GrpoTrainer(Policy policy, std::optional<Policy> teacher, std::vector<std::shared_ptr<RewardFn>> rewards,
              PromptDataset train_dataset, GrpoConfig config, DistillationOptions distillation);

  const GrpoConfig& config_;
  std::vector<std::shared_ptr<RewardFn>> rewards_;
  torch::Tensor reward_weights_;
  RewardErrorPolicy reward_error_policy_;
  PromptDataset train_dataset_;
  GrpoLoss loss_;
  std::optional<Policy> reference_;
  std::optional<Policy> teacher_;
  DistillationOptions distillation_;
  std::optional<PromptDataset> eval_dataset_;
  std::shared_ptr<RewardFn> eval_correctness_;
  EvalOptions eval_options_;
};

}  // namespace grpo
