#pragma once
/// @file SftTrainer: supervised fine-tuning on prompt-completion pairs, the cold start of
/// DeepSeek-R1 (arXiv:2501.12948 sec. 2.3.1) and the rejection-sampling / distillation stage.
/// The loss is the negative log-likelihood of the completion tokens (the prompt is context only)
/// averaged over the completion tokens of the whole update (all its micro-batches), with an EOS
/// token appended to each completion.

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/trainer/sft_config.h>
#include <grpo/trainer/trainer.h>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo {

/// What one SFT update measured; one line of metrics.jsonl.
struct SftStepStats {
  int64_t step = 0;           ///< 1-based update just finished
  double loss = 0;            ///< mean negative log-likelihood per completion token of the update, nats
  double learning_rate = 0;
  double grad_norm = 0;       ///< global L2 norm before clipping
  double tokens_per_second = 0;  ///< prompt + completion tokens (of every rank) through forward + backward / seconds
  std::string to_json() const;
};

/// Supervised fine-tuning of a Policy on prompt-completion pairs.
class SftTrainer : public Trainer {
 public:
  /// @throws c10::Error if the config is invalid, `examples` is empty, the tokenizer has no EOS
  ///         token, the policy is not on config.device(), or output_dir cannot be created.
  SftTrainer(Policy policy, std::vector<SftExample> examples, SftConfig config);

  /// One update on the next per_device_train_batch_size * gradient_accumulation_steps examples
  /// of the shuffled stream (stream_indices()), in gradient_accumulation_steps micro-batches.
  /// Distributed (see Trainer), the update takes world_size times as many examples, rank r the
  /// r-th consecutive share; the loss is normalised by the completion tokens of every rank, so
  /// the averaged gradients are those of one process with the whole batch; `loss` and
  /// `tokens_per_second` cover every rank.
  /// @throws c10::Error if the loss or the gradient norm is not finite, naming the step (the
  ///         parameters are left as before the update), or if a prompt encodes to no tokens.
  SftStepStats step();

  const SftConfig& config() const { return config_; }

 protected:
  std::string train_step() override;

 private:
  const SftConfig& config_;
  std::vector<SftExample> examples_;
};

}  // namespace grpo
