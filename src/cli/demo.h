#pragma once
// The built-in end-to-end job of the grpo program (`grpo demo`): R1-Zero at small scale on
// Countdown. An application of the library, not part of it: it sets the process's thread count
// and global seed.
///
/// 1. generate Countdown problems: GRPO prompts, cold-start SFT traces and a disjoint held-out set;
/// 2. cold-start SFT of a small Llama-style model from scratch on the traces;
/// 3. evaluate (greedy accuracy and pass@1 on the held-out set);
/// 4. GRPO with the `countdown` (accuracy) and `format` rewards;
/// 5. evaluate again; write `summary.json` with both evaluations and seconds per phase.
///
/// With `pipeline`, the later stages of DeepSeek-R1 (arXiv:2501.12948 sec. 2.3.3-2.4) follow:
/// 6. rejection sampling from the GRPO model on the training prompts (countdown and format
///    filters), SFT round 2 of that model on the kept traces;
/// 7. GRPO round 2 from the SFT round 2 model (the same rewards plus language_consistency);
/// 8. distillation into a smaller student: SFT on the cold-start traces alone (the baseline), SFT
///    on the cold-start traces plus the final model's rejection-sampled traces, and on-policy
///    distillation of the baseline with the final model as the teacher.
/// Every stage is evaluated; `summary.json` gets a `pipeline` list (stage, seconds, evaluation).

#include <torch/arg.h>

#include <cstdint>
#include <string>

namespace grpo::cli {

/// Sizes of the demo. The defaults fit a 2-core CPU in about ten minutes; `smoke()` shrinks
/// everything to seconds for CI.
struct DemoOptions {
  /// Run directory (config, metrics, samples, checkpoints, summary.json). Default: `runs/demo`.
  TORCH_ARG(std::string, output_dir) = "runs/demo";
  /// `auto`, `cpu` or `cuda[:N]`. Default: `auto`.
  TORCH_ARG(std::string, device) = "auto";
  /// Seed of data, initialisation and sampling. Default: 0.
  TORCH_ARG(int64_t, seed) = 0;
  /// Training problems (GRPO prompts). With three numbers in 1..9 and targets up to 50 there
  /// are about 1850 distinct problems; train and held-out sets share none. Default: 1200.
  TORCH_ARG(int64_t, num_train) = 1200;
  /// Of those, the first this many also get cold-start traces for SFT. Default: 800.
  TORCH_ARG(int64_t, num_sft) = 800;
  /// Held-out problems, disjoint from training. Default: 500.
  TORCH_ARG(int64_t, num_eval) = 500;
  /// Samples per held-out prompt for pass@1. Default: 4.
  TORCH_ARG(int64_t, eval_samples) = 4;
  /// SFT updates. Default: 300.
  TORCH_ARG(int64_t, sft_steps) = 300;
  /// GRPO steps. Default: 300.
  TORCH_ARG(int64_t, grpo_steps) = 300;
  /// GRPO learning rate (constant). 5e-4 collapses the policy; 5e-5 learns half as fast.
  /// Default: 1e-4.
  TORCH_ARG(double, grpo_learning_rate) = 1e-4;
  /// Prompts per GRPO step. 16 gained 8.0 points of pass@1, 24 gained 9.6 in the same 300
  /// steps (docs/demo.md). Default: 24.
  TORCH_ARG(int64_t, grpo_prompts_per_step) = 24;
  /// Completions per prompt (G, the group size), >= 2. Default: 8.
  TORCH_ARG(int64_t, grpo_num_generations) = 8;
  /// Model width (hidden size). Default: 128.
  TORCH_ARG(int64_t, hidden_size) = 128;
  /// Decoder layers. Default: 4.
  TORCH_ARG(int64_t, num_layers) = 4;
  /// CPU intra-op threads, >= 1. The demo model's operations are small: splitting them over
  /// threads costs more than it saves, badly so on a busy machine. Default: 1.
  TORCH_ARG(int64_t, num_threads) = 1;
  /// Also run R1's later stages (see above). Default: false.
  TORCH_ARG(bool, pipeline) = false;
  /// Rejection sampling: completions sampled per training prompt (k). Default: 8.
  TORCH_ARG(int64_t, reject_generations) = 8;
  /// Rejection sampling: the score a trace needs from both filters (countdown, format) to be
  /// kept; 1 keeps correct, well-formed traces only (`smoke()` sets 0). Default: 1.
  TORCH_ARG(double, reject_min_score) = 1.0;
  /// Rejection sampling: most traces kept per prompt. Default: 2.
  TORCH_ARG(int64_t, reject_max_per_prompt) = 2;
  /// SFT round 2 updates (batch 32) on the rejection-sampled traces. Default: 100.
  TORCH_ARG(int64_t, sft2_steps) = 100;
  /// SFT round 2 learning rate (the model is trained already). Default: 1e-4.
  TORCH_ARG(double, sft2_learning_rate) = 1e-4;
  /// GRPO round 2 steps. Default: 150.
  TORCH_ARG(int64_t, grpo2_steps) = 150;
  /// GRPO round 2 learning rate (constant), lower than round 1's: the model starts sharper.
  /// Default: 5e-5.
  TORCH_ARG(double, grpo2_learning_rate) = 5e-5;
  /// Student model width (hidden size). Default: 64.
  TORCH_ARG(int64_t, student_hidden_size) = 64;
  /// Student decoder layers. Default: 2.
  TORCH_ARG(int64_t, student_layers) = 2;
  /// Student SFT updates (batch 32), for the baseline and the distilled student alike. Default: 300.
  TORCH_ARG(int64_t, student_sft_steps) = 300;
  /// On-policy distillation steps (prompts and group size as GRPO's). Default: 100.
  TORCH_ARG(int64_t, on_policy_steps) = 100;
  /// On-policy distillation learning rate (constant). Default: 2e-4.
  TORCH_ARG(double, on_policy_learning_rate) = 2e-4;


 public:
  /// A few steps of everything on a handful of problems, for CI.
  static DemoOptions smoke();
};

/// Runs the demo and returns the path of summary.json.
/// @throws c10::Error if any phase fails (the message names the phase).
std::string run_countdown_demo(const DemoOptions& options);

}  // namespace grpo::cli
