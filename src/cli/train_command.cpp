// `grpo train`: GRPO of a model directory on prompt JSONL with built-in rewards; writes
// <output_dir>/model, checkpoints, metrics.jsonl and samples.jsonl.
#include "cli/commands.h"

#include <grpo/trainer/grpo_trainer.h>

#include <nlohmann/json.hpp>

#include <iostream>

namespace grpo::cli {

GrpoConfig grpo_config_from_flags(const CLI::App* cmd, const RunFlags& flags, const std::vector<std::string>& rewards) {
  std::vector<std::string> sets;
  if (!rewards.empty()) {
    nlohmann::json funcs = nlohmann::json::array();
    for (const auto& spec : rewards) {
      (void)reward_from_spec(spec);  // an unknown reward or parameter fails now, naming the spec
      const auto parsed = parse_reward_spec(spec);
      funcs.push_back({{"name", parsed.name}, {"params", parsed.params}});
    }
    sets.push_back("reward_funcs=" + funcs.dump());
    sets.push_back("reward_weights=[]");
  }
  auto config = GrpoConfig::from_json(resolved_config_json(
      cmd, flags, GrpoConfig().to_json(), [](const std::string& path) { return GrpoConfig::from_json_file(path).to_json(); },
      sets));
  config.validate();
  return config;
}

void add_train_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    RunFlags run;
    std::string data, eval_data, eval_reward;
    std::vector<std::string> rewards;
    int64_t eval_samples = 4;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("train", "GRPO on prompt JSONL with built-in rewards (docs/cli.md)");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and the columns the rewards read")->required();
  add_run_flags(cmd, f->run);
  cmd->add_option("--reward", f->rewards,
                  "reward NAME or NAME:key=value,...; repeatable; replaces the config's reward_funcs (weights 1)");
  cmd->add_option("--eval-data", f->eval_data, "held-out prompt JSONL, evaluated every eval_steps");
  cmd->add_option("--eval-reward", f->eval_reward, "reward that judges correctness on --eval-data");
  cmd->add_option("--eval-samples", f->eval_samples, "samples per held-out prompt for pass@1")->capture_default_str();
  cmd->callback([f, cmd] {
    const auto config = grpo_config_from_flags(cmd, f->run, f->rewards);
    TORCH_CHECK(f->eval_data.empty() == f->eval_reward.empty(), "--eval-data and --eval-reward go together");
    GrpoTrainer trainer(load_policy(f->model, config.device()), {},
                        render_prompts(f->model, PromptDataset::from_jsonl(f->data)), config);
    if (!f->eval_data.empty()) {
      trainer.set_eval(render_prompts(f->model, PromptDataset::from_jsonl(f->eval_data)), reward_from_spec(f->eval_reward),
                       EvalOptions().num_samples(f->eval_samples).max_new_tokens(config.max_completion_length())
                           .stop_strings(config.stop_strings()));
    }
    if (!f->run.resume.empty()) trainer.resume(f->run.resume);
    trainer.train();
    std::cout << config.output_dir() << "/model\n";
  });
}

}  // namespace grpo::cli
