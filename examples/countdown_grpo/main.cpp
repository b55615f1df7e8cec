// GRPO through the C++ API in one page: a policy, rewards, a trainer, a loop.
// Trains a small character-level model on Countdown from scratch after a short cold start.
// usage: countdown_grpo [output_dir]
#include <grpo/grpo.h>

#include <iostream>

int main(int argc, char** argv) {
  const std::string out = argc > 1 ? argv[1] : "runs/countdown_grpo";

  // Data: Countdown problems (reach the target with + - * /, each number once).
  const auto task = grpo::generate_countdown(/*num_train=*/1200, /*num_eval=*/200, grpo::CountdownOptions());
  const auto train = grpo::countdown_prompts(task.train, grpo::CountdownTemplate::kCompact);
  const auto eval = grpo::countdown_prompts(task.eval, grpo::CountdownTemplate::kCompact);

  // Policy: a Llama-style decoder with a character tokenizer (<think>, <answer> tags are single tokens).
  auto tokenizer = std::make_shared<grpo::CharTokenizer>(grpo::CharTokenizerOptions("0123456789+-*/()=,> \n"));
  grpo::Policy policy(grpo::Transformer(grpo::ModelConfig()
                                            .vocab_size(tokenizer->vocab_size())
                                            .hidden_size(128)
                                            .intermediate_size(384)
                                            .num_hidden_layers(4)
                                            .head_dim(32)
                                            .max_position_embeddings(128)),
                      tokenizer, grpo::default_device());

  // Cold start: imitate 800 solved traces.
  const std::vector<grpo::CountdownProblem> traced(task.train.begin(), task.train.begin() + 800);
  grpo::SftTrainer sft(policy, grpo::countdown_sft_examples(traced, grpo::CountdownTemplate::kCompact),
                       grpo::SftConfig().output_dir(out + "/sft").max_steps(300).learning_rate(2e-3));
  sft.train();

  // Rewards: the verified answer and the <think>/<answer> format; a C++ RewardFn would do as well.
  std::vector<std::shared_ptr<grpo::RewardFn>> rewards = {grpo::make_builtin_reward("countdown"),
                                                          grpo::make_builtin_reward("format")};
  auto config = grpo::GrpoConfig()
                    .output_dir(out + "/grpo")
                    .max_steps(300)
                    .num_generations(8)
                    .per_device_train_batch_size(192)  // 24 prompts x 8 completions per step
                    .max_completion_length(48)
                    .learning_rate(1e-4)
                    .lr_scheduler_type("constant")
                    .epsilon_high(0.28)
                    .reward_weights({1.0, 0.1});
  grpo::GrpoTrainer trainer(policy, rewards, train, config);

  const auto options = grpo::EvalOptions().max_new_tokens(48);
  std::cout << "before: " << grpo::evaluate(policy, eval, *rewards[0], options).to_json() << "\n";
  while (trainer.global_step() < config.max_steps()) {
    const auto stats = trainer.step();
    std::cout << "step " << stats.step << " reward " << stats.reward << " kl " << stats.kl << "\n";
  }
  std::cout << "after: " << grpo::evaluate(policy, eval, *rewards[0], options).to_json() << "\n";
  return 0;
}
