// `grpo sft`: supervised fine-tuning of a model directory (R1's cold start, rejection-sampling
// SFT, distillation) on prompt/completion JSONL; writes <output_dir>/model and checkpoints.
#include "cli/commands.h"

#include <grpo/trainer/sft_trainer.h>

#include <iostream>

namespace grpo::cli {

void add_sft_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    std::string data, config, output_dir, resume;
    std::vector<std::string> sets;
    int64_t max_steps = 0;
    double learning_rate = -1;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("sft", "Supervised fine-tuning on prompt/completion JSONL (loss on completion tokens)");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and `completion` per line")->required();
  cmd->add_option("--config", f->config, "SftConfig JSON (docs/config.md); flags below override it");
  cmd->add_option("--set", f->sets, "override a config key: key=value (value as JSON, else a string); repeatable");
  cmd->add_option("--output-dir", f->output_dir, "run directory (config key output_dir)");
  cmd->add_option("--max-steps", f->max_steps, "optimizer updates (config key max_steps)");
  cmd->add_option("--learning-rate", f->learning_rate, "peak learning rate (config key learning_rate)");
  cmd->add_option("--resume", f->resume, "continue from a checkpoint directory, or `latest` in the run directory");
  cmd->callback([f, cmd] {
    auto sets = f->sets;
    if (cmd->count("--output-dir")) sets.push_back("output_dir=\"" + f->output_dir + "\"");
    if (cmd->count("--max-steps")) sets.push_back("max_steps=" + std::to_string(f->max_steps));
    if (cmd->count("--learning-rate")) sets.push_back("learning_rate=" + std::to_string(f->learning_rate));
    const auto base = f->config.empty() ? SftConfig() : SftConfig::from_json_file(f->config);
    const auto config = SftConfig::from_json(apply_overrides(base.to_json(), sets));
    config.validate();
    auto examples = read_sft_jsonl(f->data);
    for (auto& e : examples) e.prompt = render_prompt(f->model, e.prompt);
    SftTrainer trainer(load_policy(f->model, config.device()), std::move(examples), config);
    if (!f->resume.empty()) trainer.resume(f->resume);
    trainer.train();
    std::cout << config.output_dir() << "/model\n";
  });
}

}  // namespace grpo::cli
