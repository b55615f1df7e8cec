// `grpo sft`: supervised fine-tuning of a model directory (R1's cold start, rejection-sampling
// SFT, distillation) on prompt/completion JSONL; writes <output_dir>/model and checkpoints.
#include "cli/commands.h"

#include <grpo/trainer/sft_trainer.h>

#include <iostream>

namespace grpo::cli {

void add_sft_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    RunFlags run;
    std::string data;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("sft", "Supervised fine-tuning on prompt/completion JSONL (loss on completion tokens)");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and `completion` per line")->required();
  add_run_flags(cmd, f->run);
  cmd->callback([f, cmd] {
    const auto config = SftConfig::from_json(resolved_config_json(
        cmd, f->run, SftConfig().to_json(), [](const std::string& path) { return SftConfig::from_json_file(path).to_json(); }));
    config.validate();
    auto examples = read_sft_jsonl(f->data);
    for (auto& e : examples) e.prompt = render_prompt(f->model, e.prompt);
    SftTrainer trainer(load_policy(f->model, config.device()), std::move(examples), config);
    if (!f->run.resume.empty()) trainer.resume(f->run.resume);
    trainer.train();
    std::cout << config.output_dir() << "/model\n";
  });
}

}  // namespace grpo::cli
