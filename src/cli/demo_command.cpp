// `grpo demo`: the built-in end-to-end job (see cli/demo.h).
#include "cli/commands.h"

#include "cli/demo.h"

#include <iostream>
#include <memory>

namespace grpo::cli {

void add_demo_command(CLI::App& app) {
  auto options = std::make_shared<DemoOptions>();
  auto smoke = std::make_shared<bool>(false);
  auto pipeline = std::make_shared<std::string>();
  auto* cmd = app.add_subcommand(
      "demo", "Countdown end to end: generate data, cold-start SFT a small model, GRPO with countdown + format "
              "rewards, evaluate before and after; writes <output-dir>/summary.json");
  cmd->add_flag("--smoke", *smoke, "a few steps of everything on a handful of problems (seconds)");
  cmd->add_option("--output-dir", options->output_dir(), "run directory")->capture_default_str();
  cmd->add_option("--device", options->device(), "auto, cpu, cuda or cuda:N")->capture_default_str();
  cmd->add_option("--seed", options->seed(), "seed of data, initialisation and sampling")->capture_default_str();
  cmd->add_option("--num-train", options->num_train(), "training problems (GRPO prompts)")->capture_default_str();
  cmd->add_option("--num-sft", options->num_sft(), "of those, problems with cold-start traces")->capture_default_str();
  cmd->add_option("--sft-steps", options->sft_steps(), "cold-start SFT updates")->capture_default_str();
  cmd->add_option("--grpo-steps", options->grpo_steps(), "GRPO steps")->capture_default_str();
  cmd->add_option("--grpo-lr", options->grpo_learning_rate(), "GRPO learning rate")->capture_default_str();
  cmd->add_option("--grpo-prompts", options->grpo_prompts_per_step(), "prompts per GRPO step")
      ->capture_default_str();
  cmd->add_option("--grpo-generations", options->grpo_num_generations(), "completions per prompt (group size)")
      ->capture_default_str();
  cmd->add_option("--threads", options->num_threads(), "CPU threads")->capture_default_str();
  cmd->add_option("--pipeline", *pipeline,
                  "r1: after GRPO, R1's later stages: rejection sampling, SFT round 2, GRPO round 2, distillation "
                  "into a smaller student by SFT and on-policy (docs/pipeline.md)")
      ->check(CLI::IsMember({"r1"}));
  cmd->callback([options, smoke, pipeline, cmd] {
    DemoOptions run = *options;
    run.pipeline(*pipeline == "r1");
    if (*smoke) {
      // Keep what the user set explicitly; shrink the rest.
      DemoOptions small = DemoOptions::smoke();
      small.device(run.device()).seed(run.seed()).num_threads(run.num_threads()).pipeline(run.pipeline());
      if (cmd->count("--output-dir") > 0) small.output_dir(run.output_dir());
      if (cmd->count("--sft-steps") > 0) small.sft_steps(run.sft_steps());
      if (cmd->count("--grpo-steps") > 0) small.grpo_steps(run.grpo_steps());
      run = small;
    }
    std::cout << run_countdown_demo(run) << "\n";
  });
}

}  // namespace grpo::cli
