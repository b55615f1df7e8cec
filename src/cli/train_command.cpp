// `grpo train`: GRPO of a model directory on prompt JSONL with built-in rewards; writes
// <output_dir>/model, checkpoints, metrics.jsonl and samples.jsonl.
#include "cli/commands.h"

#include <grpo/trainer/grpo_trainer.h>

#include <nlohmann/json.hpp>

#include <iostream>

namespace grpo::cli {

void add_train_command(CLI::App& app) {
  struct Flags {
    ModelFlags model;
    std::string data, config, output_dir, resume, eval_data, eval_reward;
    std::vector<std::string> sets, rewards;
    int64_t max_steps = 0, eval_samples = 4;
    double learning_rate = -1;
  };
  auto f = std::make_shared<Flags>();
  auto* cmd = app.add_subcommand("train", "GRPO on prompt JSONL with built-in rewards (docs/cli.md)");
  add_model_flags(cmd, f->model);
  cmd->add_option("--data", f->data, "JSONL with `prompt` and the columns the rewards read")->required();
  cmd->add_option("--config", f->config, "GrpoConfig JSON (docs/config.md); flags below override it");
  cmd->add_option("--set", f->sets, "override a config key: key=value (value as JSON, else a string); repeatable");
  cmd->add_option("--reward", f->rewards,
                  "reward NAME or NAME:key=value,...; repeatable; replaces the config's reward_funcs (weights 1)");
  cmd->add_option("--output-dir", f->output_dir, "run directory (config key output_dir)");
  cmd->add_option("--max-steps", f->max_steps, "training steps (config key max_steps)");
  cmd->add_option("--learning-rate", f->learning_rate, "learning rate (config key learning_rate)");
  cmd->add_option("--resume", f->resume, "continue from a checkpoint directory, or `latest` in the run directory");
  cmd->add_option("--eval-data", f->eval_data, "held-out prompt JSONL, evaluated every eval_steps");
  cmd->add_option("--eval-reward", f->eval_reward, "reward that judges correctness on --eval-data");
  cmd->add_option("--eval-samples", f->eval_samples, "samples per held-out prompt for pass@1")->capture_default_str();
  cmd->callback([f, cmd] {
    auto sets = f->sets;
    if (cmd->count("--output-dir")) sets.push_back("output_dir=\"" + f->output_dir + "\"");
    if (cmd->count("--max-steps")) sets.push_back("max_steps=" + std::to_string(f->max_steps));
    if (cmd->count("--learning-rate")) sets.push_back("learning_rate=" + std::to_string(f->learning_rate));
    if (!f->rewards.empty()) {
      nlohmann::json funcs = nlohmann::json::array();
      for (const auto& spec : f->rewards) {
        (void)reward_from_spec(spec);  // an unknown reward or parameter fails now, naming the spec
        const auto parsed = parse_reward_spec(spec);
        funcs.push_back({{"name", parsed.name}, {"params", parsed.params}});
      }
      sets.push_back("reward_funcs=" + funcs.dump());
      sets.push_back("reward_weights=[]");
    }
    const auto base = f->config.empty() ? GrpoConfig() : GrpoConfig::from_json_file(f->config);
    const auto config = GrpoConfig::from_json(apply_overrides(base.to_json(), sets));
    config.validate();
    TORCH_CHECK(f->eval_data.empty() == f->eval_reward.empty(), "--eval-data and --eval-reward go together");
    GrpoTrainer trainer(load_policy(f->model, config.device()), {},
                        render_prompts(f->model, PromptDataset::from_jsonl(f->data)), config);
    if (!f->eval_data.empty()) {
      trainer.set_eval(render_prompts(f->model, PromptDataset::from_jsonl(f->eval_data)), reward_from_spec(f->eval_reward),
                       EvalOptions().num_samples(f->eval_samples).max_new_tokens(config.max_completion_length())
                           .stop_strings(config.stop_strings()));
    }
    if (!f->resume.empty()) trainer.resume(f->resume);
    trainer.train();
    std::cout << config.output_dir() << "/model\n";
  });
}

}  // namespace grpo::cli
