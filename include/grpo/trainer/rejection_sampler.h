#pragma once
/// @file Rejection sampling (DeepSeek-R1 arXiv:2501.12948 sec. 2.3.3): sample k completions per
/// prompt from a checkpoint, keep those every filter reward passes, drop duplicates and truncated
/// completions, keep the best few per prompt, and write them as SFT data for the next round.
///
/// Shapes: B = prompts, k = num_generations completions per prompt, F = filters.

#include <grpo/data/dataset.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>

#include <torch/arg.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace grpo {

/// A reward used as a filter: a completion passes it when the reward scores it >= min_score. A
/// reward that does not apply to a row (NaN) passes it. R1's filters are rewards with thresholds:
/// the verified answer (`accuracy` >= 1), no mixed-language reasoning (`language_consistency`
/// >= 0.95, say), no repetition (`repetition_penalty` >= -0.1), a readable answer (`format` >= 1).
struct RewardFilter {
  std::shared_ptr<RewardFn> reward;
  double min_score = 1.0;
};

/// Options of RejectionSampler.
struct RejectionSamplingOptions {
  /// Completions sampled per prompt (k), >= 1. Default: 8.
  TORCH_ARG(int64_t, num_generations) = 8;
  /// Most tokens per completion, >= 1. Default: 256.
  TORCH_ARG(int64_t, max_new_tokens) = 256;
  /// Sampling temperature, > 0. Default: 1.
  TORCH_ARG(double, temperature) = 1.0;
  /// Nucleus sampling, in (0, 1]. Default: 1 (off).
  TORCH_ARG(double, top_p) = 1.0;
  /// Top-k sampling, >= 0. Default: 0 (off).
  TORCH_ARG(int64_t, top_k) = 0;
  /// Strings that end a completion (kept in it). Default: none.
  TORCH_ARG(std::vector<std::string>, stop_strings) = {};
  /// Seed of the sampling generators (batch b uses seed + b). Default: 0.
  TORCH_ARG(uint64_t, seed) = 0;
  /// Prompts per Policy::generate() call, >= 1. Default: 16.
  TORCH_ARG(int64_t, batch_prompts) = 16;
  /// Most completions kept per prompt, >= 1. Default: 1.
  TORCH_ARG(int64_t, max_per_prompt) = 1;
  /// Keep the passing completions with the highest sum of filter scores first (best-of-k); false
  /// keeps them in sampling order. Default: true.
  TORCH_ARG(bool, best_of) = true;
  /// Two completions of a prompt are near duplicates when the Jaccard similarity of their word
  /// trigram sets (after lower-casing ASCII and collapsing whitespace) is >= this, in (0, 1];
  /// identical normalised texts are duplicates always. Of duplicates the first kept stays.
  /// Default: 0.9.
  TORCH_ARG(double, near_duplicate_threshold) = 0.9;
  /// Drop completions cut at max_new_tokens (R1 keeps no overlong traces). Default: true.
  TORCH_ARG(bool, drop_truncated) = true;
};

/// One sampled completion of a prompt, scored by the F filters.
struct Candidate {
  std::string completion;
  bool truncated = false;
  /// [F] the filters' scores, NaN where a filter does not apply.
  std::vector<double> scores;
};

/// What select_completions() decided for one prompt.
struct PromptSelection {
  /// Indices of the kept candidates, in the order kept (best first with best_of).
  std::vector<int64_t> kept;
  /// Candidates passing each filter (F counts), truncated candidates, candidates passing every
  /// filter (and neither empty nor dropped as truncated), and those of them dropped as duplicates.
  std::vector<int64_t> passed_per_filter;
  int64_t truncated = 0, passed = 0, duplicates = 0;
};

/// The selection rule of rejection sampling for one prompt: keep a candidate when it is not
/// empty, not truncated (with drop_truncated) and every filter passes (score >= min_scores[f] or NaN); order
/// the kept by the sum of their finite scores when best_of (stable: ties keep sampling order);
/// drop duplicates and near duplicates of an already kept candidate; stop at max_per_prompt.
/// @param min_scores [F] thresholds, one per score of every candidate.
/// @throws c10::Error if a candidate has not F scores.
PromptSelection select_completions(const std::vector<Candidate>& candidates, const std::vector<double>& min_scores,
                                   const RejectionSamplingOptions& options);

/// Jaccard similarity of the word-trigram sets of two texts after lower-casing ASCII letters and
/// collapsing whitespace, in [0, 1]; texts of under three words compare as word sets. 1 for two
/// empty texts.
double trigram_jaccard(const std::string& a, const std::string& b);

/// Counts of a rejection-sampling run.
struct RejectionReport {
  int64_t num_prompts = 0, sampled = 0, kept = 0, truncated = 0, passed = 0, duplicates = 0;
  /// Prompts with at least one kept completion.
  int64_t prompts_with_kept = 0;
  /// Per filter: its name and the share of sampled completions passing it.
  std::vector<std::string> filter_names;
  std::vector<double> filter_pass_rates;
  /// Per prompt (dataset order): completions kept.
  std::vector<int64_t> kept_per_prompt;
  /// One JSON object with every field.
  std::string to_json() const;
};

/// What RejectionSampler::run() returns.
struct RejectionResult {
  /// The kept (prompt, completion) pairs, prompts in dataset order; the prompt is the dataset's
  /// prompt text as given (so `grpo sft --chat` renders it as `grpo reject --chat` did).
  std::vector<SftExample> examples;
  RejectionReport report;
};

/// Rejection sampling from a policy with reward filters.
class RejectionSampler {
 public:
  /// @throws c10::Error if there is no filter, a filter's reward is null or its min_score is not
  ///         finite, or an option is out of range (num_generations < 1, max_per_prompt < 1,
  ///         batch_prompts < 1, near_duplicate_threshold outside (0, 1], ...).
  RejectionSampler(std::vector<RewardFilter> filters, RejectionSamplingOptions options = {});

  /// Samples num_generations completions for each prompt of `prompts` (the model sees
  /// `rendered_prompts[i]` when given, else the prompt itself), scores them with the filters
  /// (rows carry the dataset's columns and their group) and selects them per prompt.
  /// @param rendered_prompts empty, or one text per dataset row (for example chat-rendered).
  /// @throws c10::Error if a filter reward throws (naming it and the row), if rendered_prompts
  ///         has the wrong size, or if nothing is kept ("kept no completion of N sampled", with the
  ///         pass rate of each filter).
  RejectionResult run(Policy& policy, const PromptDataset& prompts,
                      const std::vector<std::string>& rendered_prompts = {}) const;

  const RejectionSamplingOptions& options() const { return options_; }

 private:
  std::vector<RewardFilter> filters_;
  RejectionSamplingOptions options_;
};

}  // namespace grpo
