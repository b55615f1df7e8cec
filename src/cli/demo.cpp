#include "cli/demo.h"
#include "cli/plot.h"

#include <grpo/core/device.h>
#include <grpo/support/files.h>
#include <grpo/model/policy.h>
#include <grpo/rewards/reward.h>
#include <grpo/support/log.h>
#include <grpo/tasks/countdown.h>
#include <grpo/tokenizer/char_tokenizer.h>
#include <grpo/trainer/grpo_trainer.h>
#include <grpo/trainer/sft_trainer.h>

#include <nlohmann/json.hpp>

#include <chrono>

namespace grpo::cli {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int64_t kMaxCompletion = 48;  // tokens; the longest trace of 3 numbers is ~40

nlohmann::ordered_json to_json(const EvalResult& r) { return nlohmann::ordered_json::parse(r.to_json()); }

}  // namespace

DemoOptions DemoOptions::smoke() {
  return DemoOptions()
      .output_dir("runs/demo-smoke")
      .num_train(64)
      .num_sft(32)
      .num_eval(16)
      .eval_samples(2)
      .sft_steps(3)
      .grpo_steps(2)
      .grpo_prompts_per_step(2)
      .hidden_size(32)
      .num_layers(1);
}

std::string run_countdown_demo(const DemoOptions& o) {
  const auto device = parse_device(o.device());
  TORCH_CHECK(o.num_threads() >= 1, "DemoOptions: num_threads must be >= 1, got ", o.num_threads());
  at::set_num_threads(static_cast<int>(o.num_threads()));
  torch::manual_seed(static_cast<uint64_t>(o.seed()));
  create_directories(o.output_dir());
  nlohmann::ordered_json summary;
  summary["device"] = device.str();
  summary["build"] = build_info();

  // 1. Data.
  auto start = Clock::now();
  const auto task_options = CountdownOptions().seed(static_cast<uint64_t>(o.seed()));
  const auto task = generate_countdown(o.num_train(), o.num_eval(), task_options);
  const auto train = countdown_prompts(task.train, task_options.prompt_template());
  const auto eval = countdown_prompts(task.eval, task_options.prompt_template());
  const std::vector<CountdownProblem> sft_problems(task.train.begin(),
                                                   task.train.begin() + std::min(o.num_sft(), o.num_train()));
  const auto sft = countdown_sft_examples(sft_problems, task_options.prompt_template());
  train.to_jsonl(o.output_dir() + "/train.jsonl");
  eval.to_jsonl(o.output_dir() + "/eval.jsonl");
  write_sft_jsonl(o.output_dir() + "/sft.jsonl", sft);
  summary["seconds"]["data"] = since(start);

  // 2. A small Llama-style model and a character tokenizer with the tags as single tokens.
  auto tokenizer = std::make_shared<CharTokenizer>(CharTokenizerOptions("0123456789+-*/()=,> \n"));
  const auto model_config = ModelConfig()
                                .vocab_size(tokenizer->vocab_size())
                                .hidden_size(o.hidden_size())
                                .intermediate_size(3 * o.hidden_size())
                                .num_hidden_layers(o.num_layers())
                                .num_attention_heads(4)
                                .num_key_value_heads(2)
                                .head_dim(o.hidden_size() / 4)
                                .max_position_embeddings(128)
                                .tie_word_embeddings(true);
  Policy policy(Transformer(model_config), tokenizer, device);
  int64_t parameters = 0;
  for (const auto& p : policy.parameters()) parameters += p.numel();
  summary["model"] = {{"parameters", parameters}, {"hidden_size", o.hidden_size()}, {"layers", o.num_layers()}};
  log::info(c10::str("demo: ", parameters, " parameters on ", device.str(), ", ", task.train.size(),
                     " training problems (", sft.size(), " with traces), ", task.eval.size(), " held out"));

  // 3. Cold-start SFT.
  start = Clock::now();
  SftTrainer sft_trainer(policy, sft,
                         SftConfig()
                             .output_dir(o.output_dir() + "/sft")
                             .seed(o.seed())
                             .max_steps(o.sft_steps())
                             .per_device_train_batch_size(32)
                             .learning_rate(2e-3)
                             .logging_steps(std::max<int64_t>(1, o.sft_steps() / 10)));
  sft_trainer.train();
  summary["seconds"]["sft"] = since(start);

  // 4. Evaluate the SFT checkpoint.
  const auto correctness = make_builtin_reward("countdown");
  const auto eval_options = EvalOptions()
                                .num_samples(o.eval_samples())
                                .max_new_tokens(kMaxCompletion)
                                .seed(static_cast<uint64_t>(o.seed()) + 7);
  start = Clock::now();
  const auto before = evaluate(policy, eval, *correctness, eval_options);
  summary["seconds"]["eval_before"] = since(start);
  summary["eval_before_grpo"] = to_json(before);
  log::info("demo: after SFT " + before.to_json());

  // 5. GRPO with the accuracy (countdown) and format rewards.
  start = Clock::now();
  auto grpo_config = GrpoConfig()
                         .output_dir(o.output_dir() + "/grpo")
                         .seed(o.seed())
                         .max_steps(o.grpo_steps())
                         .num_generations(o.grpo_num_generations())
                         .per_device_train_batch_size(o.grpo_num_generations() * o.grpo_prompts_per_step())
                         .gradient_accumulation_steps(1)
                         .max_completion_length(kMaxCompletion)
                         .learning_rate(o.grpo_learning_rate())
                         .lr_scheduler_type("constant")
                         .beta(0.0)
                         .loss_type(LossType::kDapo)
                         .epsilon_high(0.28)
                         .reward_funcs({{"countdown", {}}, {"format", {}}})
                         .reward_weights({1.0, 0.1})
                         .logging_steps(std::max<int64_t>(1, o.grpo_steps() / 20))
                         .log_completions_steps(std::max<int64_t>(1, o.grpo_steps() / 5));
  GrpoTrainer trainer(policy, {}, train, grpo_config);
  trainer.train();
  summary["seconds"]["grpo"] = since(start);

  // 6. Evaluate after GRPO.
  start = Clock::now();
  const auto after = evaluate(policy, eval, *correctness, eval_options);
  summary["seconds"]["eval_after"] = since(start);
  summary["eval_after_grpo"] = to_json(after);
  summary["pass_at_1_gain_points"] = 100.0 * (after.pass_at_1 - before.pass_at_1);
  log::info("demo: after GRPO " + after.to_json());

  const std::string path = o.output_dir() + "/summary.json";
  write_file_atomically(path, [&](std::ostream& out) { out << summary.dump(2) << '\n'; });
  log::info(c10::str("demo: pass@1 ", before.pass_at_1, " -> ", after.pass_at_1, "; summary in ", path));
  const std::string plot = o.output_dir() + "/plot.png";
  write_plot({o.output_dir() + "/grpo"}, plot);
  log::info("demo: GRPO curves in " + plot);
  return path;
}

}  // namespace grpo::cli
