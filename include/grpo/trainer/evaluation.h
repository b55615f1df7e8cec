#pragma once
/// @file Held-out evaluation of a policy: greedy accuracy and pass@1, judged by a reward.

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <vector>

namespace grpo {

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
/// c / n per prompt) of `policy` on `dataset`, judged by `correctness`. Samples with generators
/// seeded from options.seed(), never the global one, so the result is the same on every call.
/// Under a launcher (distributed_group() set) every rank must call it: the batches of
/// batch_prompts prompts are dealt to the ranks in turn and the result, the same on every rank,
/// equals one process's.
/// @throws c10::Error if an option is out of range, the dataset is empty or the reward throws.
EvalResult evaluate(Policy& policy, const PromptDataset& dataset, const RewardFn& correctness,
                    const EvalOptions& options = {});

}  // namespace grpo
