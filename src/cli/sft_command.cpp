// `grpo sft`: supervised fine-tuning of a model directory (R1's cold start, rejection-sampling
// SFT, distillation) on prompt/completion JSONL; writes <output_dir>/model and checkpoints.
#include "cli/commands.h"

#include <grpo/trainer/sft_trainer.h>

#include <iostream>

namespace grpo::cli {

SftConfig sft_config_from_flags(const CLI::App* cmd, const RunFlags& flags) {
  auto config = SftConfig::from_json(resolved_config_json(
      cmd, flags, SftConfig().to_json(), [](const std::string& path) { return SftConfig::from_json_file(path).to_json(); }));
  config.validate();
  return config;
}

void train_sft(const ModelFlags& model, const std::string& data, const SftConfig& config, const std::string& resume) {
  auto examples = read_sft_jsonl(data);
  for (auto& e : examples) e.prompt = render_prompt(model, e.prompt);
  SftTrainer trainer(load_policy(model, config.device()), std::move(examples), config);
  if (!resume.empty()) trainer.resume(resume);
  trainer.train();
  std::cout << config.output_dir() << "/model\n";
}

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
  cmd->callback([f, cmd] { train_sft(f->model, f->data, sft_config_from_flags(cmd, f->run), f->run.resume); });
}

}  // namespace grpo::cli
