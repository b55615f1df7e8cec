#pragma once
/// @file SftTrainer: supervised fine-tuning on prompt-completion pairs, the cold start of
/// DeepSeek-R1 (arXiv:2501.12948 sec. 2.3.1) and the rejection-sampling / distillation stage.
/// The loss is the mean negative log-likelihood of the completion tokens (the prompt is context
/// only), over the tokens of the batch, with an EOS token appended to each completion.

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>

#include <torch/arg.h>
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grpo {

/// Options of SftTrainer (names as TRL's `SFTConfig` / transformers' `TrainingArguments`).
struct SftConfig {
  /// Directory of metrics.jsonl and checkpoints. Default: `runs/sft`.
  TORCH_ARG(std::string, output_dir) = "runs/sft";
  /// Seed of the data order, >= 0. Default: 42.
  TORCH_ARG(int64_t, seed) = 42;
  /// Optimizer updates, >= 1. Default: 500.
  TORCH_ARG(int64_t, max_steps) = 500;
  /// Examples per update, >= 1. Default: 32.
  TORCH_ARG(int64_t, per_device_train_batch_size) = 32;
  /// Peak AdamW learning rate, >= 0. Default: 1e-3.
  TORCH_ARG(double, learning_rate) = 1e-3;
  /// AdamW decoupled weight decay, >= 0. Default: 0.
  TORCH_ARG(double, weight_decay) = 0.0;
  /// Gradient norm clip, > 0, or 0 for none. Default: 1.
  TORCH_ARG(double, max_grad_norm) = 1.0;
  /// `linear`, `cosine` or `constant` after warmup. Default: `cosine`.
  TORCH_ARG(std::string, lr_scheduler_type) = "cosine";
  /// Share of updates warming up, in [0, 1]. Default: 0.05.
  TORCH_ARG(double, warmup_ratio) = 0.05;
  /// A console line every this many updates, >= 1. Default: 50.
  TORCH_ARG(int64_t, logging_steps) = 50;

 public:
  /// @throws c10::Error naming the field and the value for the first one out of range.
  void validate() const;
};

/// What one SFT update measured; one line of metrics.jsonl.
struct SftStepStats {
  int64_t step = 0;           ///< 1-based update just finished
  double loss = 0;            ///< mean negative log-likelihood per completion token, nats
  double learning_rate = 0;
  double grad_norm = 0;       ///< before clipping
  double tokens_per_second = 0;
  std::string to_json() const;
};

/// Supervised fine-tuning of a Policy on prompt-completion pairs.
class SftTrainer {
 public:
  /// @throws c10::Error if the config is invalid or `examples` is empty.
  SftTrainer(Policy policy, std::vector<SftExample> examples, SftConfig config);

  /// One update on the next per_device_train_batch_size examples (shuffled per epoch).
  /// @throws c10::Error if the loss is not finite, naming the step.
  SftStepStats step();
  /// Updates until max_steps, logging every logging_steps; saves `output_dir/model.pt` at the end.
  void train();

  int64_t global_step() const { return step_; }
  Policy& policy() { return policy_; }

 private:
  SftConfig config_;
  Policy policy_;
  PromptDataset order_source_;  // rows only drive the shuffle
  std::vector<SftExample> examples_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_ = 0;
};

}  // namespace grpo
