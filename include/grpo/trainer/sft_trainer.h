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
/// Read from and written to JSON (from_json_file(), to_json()); unknown keys are an error.
struct SftConfig {
  /// Directory of config.json, metrics.jsonl, checkpoints and the final model. Default: `runs/sft`.
  TORCH_ARG(std::string, output_dir) = "runs/sft";
  /// `auto`, `cpu`, `cuda` or `cuda:N`: where the CLI loads the model (a SftTrainer trains the
  /// policy on the device it is on). Default: `auto`.
  TORCH_ARG(std::string, device) = "auto";
  /// Seed of the data order, >= 0. Default: 42.
  TORCH_ARG(int64_t, seed) = 42;
  /// Optimizer updates, >= 1. Default: 500.
  TORCH_ARG(int64_t, max_steps) = 500;
  /// Examples per update, >= 1. Default: 32.
  TORCH_ARG(int64_t, per_device_train_batch_size) = 32;
  /// Peak AdamW learning rate, >= 0. Default: 1e-3.
  TORCH_ARG(double, learning_rate) = 1e-3;
  TORCH_ARG(double, adam_beta1) = 0.9;
  TORCH_ARG(double, adam_beta2) = 0.999;
  TORCH_ARG(double, adam_epsilon) = 1e-8;
  /// AdamW decoupled weight decay, >= 0. Default: 0.
  TORCH_ARG(double, weight_decay) = 0.0;
  /// Gradient norm clip, > 0, or 0 for none. Default: 1.
  TORCH_ARG(double, max_grad_norm) = 1.0;
  /// Mixed precision (TRL's `bf16`): sampling and scoring run under bfloat16 autocast
  /// (Policy::set_autocast_dtype) while parameters, gradients and the optimizer stay in their
  /// own dtype (float32 master weights). Default: false.
  TORCH_ARG(bool, bf16) = false;
  /// `linear`, `cosine` or `constant` after warmup. Default: `cosine`.
  TORCH_ARG(std::string, lr_scheduler_type) = "cosine";
  /// Share of updates warming up, in [0, 1]. Default: 0.05.
  TORCH_ARG(double, warmup_ratio) = 0.05;
  /// A console line every this many updates, >= 1. Default: 50.
  TORCH_ARG(int64_t, logging_steps) = 50;
  /// A checkpoint every this many updates, >= 0 (0 = only at the end). Default: 0.
  TORCH_ARG(int64_t, save_steps) = 0;
  /// Checkpoints kept, >= 1. Default: 2.
  TORCH_ARG(int64_t, save_total_limit) = 2;

 public:
  /// @throws c10::Error naming the field and the value for the first one out of range.
  void validate() const;
  /// The config as a JSON object with every field.
  std::string to_json() const;
  /// Reads a JSON object; absent keys keep their defaults.
  /// @throws c10::Error naming the key for an unknown key or a value of the wrong type.
  static SftConfig from_json(const std::string& text);
  /// from_json() of a file. @throws c10::Error naming the file as well.
  static SftConfig from_json_file(const std::string& path);
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
  /// Updates until max_steps, logging every logging_steps, checkpoints every save_steps and at
  /// the end; finally writes the model to `output_dir/model` (Policy::save_pretrained).
  void train();

  /// Writes `output_dir/checkpoint-<step>` atomically: a Hugging Face model directory plus
  /// `optimizer.pt` and `trainer_state.json`; removes the oldest beyond save_total_limit.
  /// Returns the directory.
  std::string save_checkpoint();
  /// Restores model, optimizer and step from save_checkpoint()'s directory, or the newest one
  /// in output_dir when given "latest"; the data order continues where it stopped.
  /// @throws c10::Error naming the directory and the missing or malformed file.
  void resume(const std::string& checkpoint_dir);

  int64_t global_step() const { return step_; }
  Policy& policy() { return policy_; }

 private:
  SftConfig config_;
  Policy policy_;
  std::vector<SftExample> examples_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_ = 0;
};

}  // namespace grpo
