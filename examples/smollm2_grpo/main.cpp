// GRPO on a pretrained chat model: SmolLM2-135M-Instruct (or any Llama/Qwen2/Qwen3 directory in
// Hugging Face layout) learns Countdown in its own chat format, rewarded for the verified answer
// and for the <think>/<answer> tags (partial credit per tag). The trained model is saved back in
// Hugging Face layout.
//
// usage: smollm2_grpo [--smoke] [--steps N] [--model DIR] [--output-dir DIR]
//   DIR defaults to models/SmolLM2-135M-Instruct (made by `bash cmake/setup.sh models`).
//   --smoke: two tiny steps and a 4-prompt evaluation, for CI on a CPU.
//   Exit code 77 (skipped) when the model directory does not exist.
#include <grpo/grpo.h>

#include <cstdlib>
#include <iostream>
#include <string>

namespace {

// The user's turn: the question in words, with the answer format spelled out.
std::string question(const grpo::CountdownProblem& p) {
  std::string nums;
  for (size_t i = 0; i < p.nums.size(); ++i) nums += (i ? ", " : "") + std::to_string(p.nums[i]);
  return "Using the numbers [" + nums + "], create an equation that equals " + std::to_string(p.target) +
         ". You can use + - * / and each number exactly once. Think step by step inside <think> </think>, "
         "then give only the equation inside <answer> </answer>.";
}

// Countdown rows whose prompts are rendered with the model's chat template.
grpo::PromptDataset chat_prompts(const std::vector<grpo::CountdownProblem>& problems, const grpo::ChatTemplate& chat) {
  const auto plain = grpo::countdown_prompts(problems, grpo::CountdownTemplate::kCompact);  // nums/target columns
  std::vector<grpo::PromptRow> rows;
  for (size_t i = 0; i < problems.size(); ++i) {
    rows.push_back({chat.render({{"user", question(problems[i])}}, /*add_generation_prompt=*/true),
                    plain.rows()[i].fields});
  }
  return grpo::PromptDataset(std::move(rows));
}

}  // namespace

int main(int argc, char** argv) {
  std::string model_dir = "models/SmolLM2-135M-Instruct", out = "runs/smollm2_grpo";
  int64_t steps = 200;
  bool smoke = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--smoke") smoke = true;
    else if (arg == "--steps" && i + 1 < argc) steps = std::stoll(argv[++i]);
    else if (arg == "--model" && i + 1 < argc) model_dir = argv[++i];
    else if (arg == "--output-dir" && i + 1 < argc) out = argv[++i];
    else {
      std::cerr << "usage: smollm2_grpo [--smoke] [--steps N] [--model DIR] [--output-dir DIR]\n";
      return 2;
    }
  }
  if (!grpo::path_exists(model_dir + "/config.json")) {
    std::cerr << "smollm2_grpo: no model in '" << model_dir << "'; run `bash cmake/setup.sh models` first\n";
    return 77;
  }
  if (smoke) steps = 2;

  // The policy: weights, tokenizer and EOS ids from the directory; float32 master weights, and
  // bf16 autocast on a GPU.
  const auto device = grpo::default_device();
  auto policy = grpo::Policy::from_pretrained(model_dir, grpo::PretrainedOptions().device(device));
  if (device.is_cuda()) policy.set_autocast_dtype(torch::kBFloat16);
  const auto chat = grpo::ChatTemplate::from_tokenizer_config(model_dir + "/tokenizer_config.json");

  const auto task = grpo::generate_countdown(smoke ? 16 : 2000, smoke ? 4 : 200, grpo::CountdownOptions());
  const auto train = chat_prompts(task.train, chat);
  const auto eval = chat_prompts(task.eval, chat);

  const int64_t group = smoke ? 2 : 8, prompts_per_step = smoke ? 1 : 8, max_tokens = smoke ? 16 : 256;
  auto config = grpo::GrpoConfig()
                    .output_dir(out)
                    .max_steps(steps)
                    .num_generations(group)
                    .per_device_train_batch_size(group)  // micro-batches of one group
                    .gradient_accumulation_steps(prompts_per_step)
                    .max_completion_length(max_tokens)
                    .temperature(0.9)
                    .learning_rate(1e-6)
                    .beta(0.04)  // a frozen reference keeps the pretrained model's language
                    .reward_funcs({{"countdown", {}}, {"tag_count", {{"newlines", "false"}}}})
                    .reward_weights({1.0, 0.2})
                    .logging_steps(1)
                    .log_completions_steps(smoke ? 1 : 10);
  grpo::GrpoTrainer trainer(policy, {}, train, config);

  const auto correct = grpo::make_builtin_reward("countdown");
  const auto options = grpo::EvalOptions().num_samples(smoke ? 1 : 4).max_new_tokens(max_tokens).batch_prompts(16);
  std::cout << "before: " << grpo::evaluate(policy, eval, *correct, options).to_json() << std::endl;
  trainer.train();
  std::cout << "after: " << grpo::evaluate(policy, eval, *correct, options).to_json() << std::endl;
  policy.save_pretrained(out + "/model");
  std::cout << "saved " << out << "/model" << std::endl;
  return 0;
}
