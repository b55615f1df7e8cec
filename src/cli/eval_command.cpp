// `grpo eval`: greedy accuracy and pass@1 of a model directory on prompt JSONL, judged by a
// built-in reward; prints the result as JSON. Under a launcher (torchrun, Slurm) the ranks share
// the prompts (evaluate() deals its batches to them) and rank 0 prints and writes the result.
#include "cli/commands.h"

#include <grpo/core/device.h>
#include <grpo/distributed/process_group.h>
#include <grpo/support/files.h>
#include <grpo/trainer/grpo_trainer.h>

#include <iostream>

namespace grpo::cli {

void add_eval_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    std::string data, reward, output, device = "auto";
    EvalOptions options;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("eval", "Greedy accuracy and pass@1 on prompt JSONL, judged by a built-in reward");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and the columns the reward reads")->required();
  cmd->add_option("--reward", f->reward, "reward NAME or NAME:key=value,... that judges correctness")->required();
  cmd->add_option("--device", f->device, "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--samples", f->options.num_samples(), "samples per prompt for pass@1")->capture_default_str();
  cmd->add_option("--max-new-tokens", f->options.max_new_tokens(), "most tokens per completion")->capture_default_str();
  cmd->add_option("--temperature", f->options.temperature(), "temperature of the pass@1 samples")->capture_default_str();
  cmd->add_option("--seed", f->options.seed(), "sampling seed")->capture_default_str();
  cmd->add_option("--threshold", f->options.correct_threshold(), "a completion is correct when the reward is >= this")
      ->capture_default_str();
  cmd->add_option("--batch-prompts", f->options.batch_prompts(), "prompts per generate call (and per rank's share)")
      ->capture_default_str();
  cmd->add_option("--stop", f->options.stop_strings(), "stop string; repeatable");
  cmd->add_option("--output", f->output, "also write the result to this JSON file");
  cmd->callback([f] {
    auto policy = load_policy(f->model, f->device);
    const auto dataset = render_prompts(f->model, PromptDataset::from_jsonl(f->data));
    const auto world = init_distributed(policy.device());
    const auto result = evaluate(policy, dataset, *reward_from_spec(f->reward), f->options).to_json();
    if (world && !world->is_main()) return;
    if (!f->output.empty()) write_file_atomically(f->output, [&](std::ostream& out) { out << result << '\n'; });
    std::cout << result << "\n";
  });
}

}  // namespace grpo::cli
