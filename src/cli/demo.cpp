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
#include <grpo/trainer/rejection_sampler.h>
#include <grpo/trainer/sft_trainer.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>

namespace grpo::cli {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

constexpr int64_t kMaxCompletion = 48;  // tokens; the longest trace of 3 numbers is ~40
constexpr double kColdStartLearningRate = 2e-3;  // SFT of a model from scratch

nlohmann::ordered_json to_json(const EvalResult& r) { return nlohmann::ordered_json::parse(r.to_json()); }

/// The demo's Llama-style model over `tokenizer`: `hidden` wide, `layers` deep, seeded from the
/// global generator.
Policy make_model(const std::shared_ptr<CharTokenizer>& tokenizer, int64_t hidden, int64_t layers,
                  torch::Device device) {
  const auto config = ModelConfig()
                          .vocab_size(tokenizer->vocab_size())
                          .hidden_size(hidden)
                          .intermediate_size(3 * hidden)
                          .num_hidden_layers(layers)
                          .num_attention_heads(4)
                          .num_key_value_heads(2)
                          .head_dim(hidden / 4)
                          .max_position_embeddings(128)
                          .tie_word_embeddings(true);
  return Policy(Transformer(config), tokenizer, device);
}

int64_t count_parameters(const Policy& policy) {
  int64_t n = 0;
  for (const auto& p : policy.parameters()) n += p.numel();
  return n;
}

SftConfig sft_config(const DemoOptions& o, const std::string& dir, int64_t steps, double learning_rate) {
  return SftConfig()
      .output_dir(o.output_dir() + "/" + dir)
      .seed(o.seed())
      .max_steps(steps)
      .per_device_train_batch_size(32)
      .learning_rate(learning_rate)
      .logging_steps(std::max<int64_t>(1, steps / 10));
}

/// GRPO as the demo runs it (DAPO loss, clip-higher 0.28, no KL term, constant learning rate),
/// with `rewards` weighted `weights`.
GrpoConfig grpo_config(const DemoOptions& o, const std::string& dir, int64_t steps,
                       std::vector<RewardSpec> rewards, std::vector<double> weights) {
  return GrpoConfig()
      .output_dir(o.output_dir() + "/" + dir)
      .seed(o.seed())
      .max_steps(steps)
      .num_generations(o.grpo_num_generations())
      .per_device_train_batch_size(o.grpo_num_generations() * o.grpo_prompts_per_step())
      .gradient_accumulation_steps(1)
      .max_completion_length(kMaxCompletion)
      .learning_rate(o.grpo_learning_rate())
      .lr_scheduler_type("constant")
      .beta(0.0)
      .loss_type(LossType::kDapo)
      .epsilon_high(0.28)
      .reward_funcs(std::move(rewards))
      .reward_weights(std::move(weights))
      .logging_steps(std::max<int64_t>(1, steps / 20))
      .log_completions_steps(std::max<int64_t>(1, steps / 5));
}

/// Correct, well-formed traces of `policy` on the training prompts: R1's rejection sampling with
/// the countdown and format rewards as filters.
RejectionResult sample_traces(Policy& policy, const PromptDataset& prompts, const DemoOptions& o, int64_t k,
                              int64_t max_per_prompt, uint64_t seed) {
  const RejectionSampler sampler({{make_builtin_reward("countdown"), o.reject_min_score()},
                                  {make_builtin_reward("format"), o.reject_min_score()}},
                                 RejectionSamplingOptions()
                                     .num_generations(k)
                                     .max_new_tokens(kMaxCompletion)
                                     .max_per_prompt(max_per_prompt)
                                     .batch_prompts(o.grpo_prompts_per_step())
                                     .seed(seed));
  return sampler.run(policy, prompts);
}

/// R1's stages after the first GRPO round (see demo.h), on the GRPO model `policy`; appends each
/// stage's seconds and evaluation to summary["pipeline"].
void run_later_stages(const DemoOptions& o, nlohmann::ordered_json& summary, Policy& policy,
                      const std::shared_ptr<CharTokenizer>& tokenizer, const PromptDataset& train,
                      const PromptDataset& eval, const std::vector<SftExample>& cold_start,
                      const EvalResult& after_cold_start, const EvalResult& after_grpo,
                      const EvalOptions& eval_options) {
  const auto correctness = make_builtin_reward("countdown");
  auto& stages = summary["pipeline"];
  auto stage = [&](const std::string& name, double seconds, const EvalResult& result,
                   nlohmann::ordered_json extra = nlohmann::ordered_json::object()) {
    nlohmann::ordered_json entry = {{"stage", name}, {"seconds", seconds}, {"eval", to_json(result)}};
    entry.update(extra);
    stages.push_back(entry);
    log::info(c10::str("pipeline: ", name, ": greedy ", result.greedy_accuracy, ", pass@1 ", result.pass_at_1, " (",
                       seconds, " s)"));
  };
  stage("cold_start_sft", summary["seconds"]["sft"].get<double>(), after_cold_start);
  stage("grpo_round_1", summary["seconds"]["grpo"].get<double>(), after_grpo);
  const auto rounds_seed = static_cast<uint64_t>(o.seed()) * 1000 + 17;

  // Rejection sampling from the GRPO model, then SFT round 2 of that model on the kept traces.
  auto start = Clock::now();
  const auto traces = sample_traces(policy, train, o, o.reject_generations(), o.reject_max_per_prompt(), rounds_seed);
  write_sft_jsonl(o.output_dir() + "/rejection_sampled.jsonl", traces.examples);
  SftTrainer(policy, traces.examples, sft_config(o, "sft_round_2", o.sft2_steps(), o.sft2_learning_rate())).train();
  auto report = nlohmann::ordered_json::parse(traces.report.to_json());
  report.erase("kept_per_prompt");  // one number per prompt: in the JSONL, not the summary
  stage("rejection_sampling_sft", since(start), evaluate(policy, eval, *correctness, eval_options),
        {{"rejection_sampling", report}});

  // GRPO round 2, with R1's language-consistency reward added (on Countdown's digit-only reasoning
  // it is 0 for every completion, so it does not move the advantages).
  start = Clock::now();
  GrpoTrainer(policy, {}, train,
              grpo_config(o, "grpo_round_2", o.grpo2_steps(),
                          {{"countdown", {}}, {"format", {}}, {"language_consistency", {{"language", "en"}}}}, {1.0, 0.1, 0.1})
                  .learning_rate(o.grpo2_learning_rate()))
      .train();
  stage("grpo_round_2", since(start), evaluate(policy, eval, *correctness, eval_options));

  // Distillation into a smaller student (R1 sec. 2.4): the baseline learns from the cold-start
  // traces alone; the distilled student from those plus the final model's verified traces.
  start = Clock::now();
  const auto teacher_traces = sample_traces(policy, train, o, o.reject_generations(), 1, rounds_seed + 1);
  std::vector<SftExample> distill_data = cold_start;
  distill_data.insert(distill_data.end(), teacher_traces.examples.begin(), teacher_traces.examples.end());
  write_sft_jsonl(o.output_dir() + "/distillation.jsonl", distill_data);
  const double sampling_seconds = since(start);
  std::optional<Policy> student_baseline;
  for (const bool distilled : {false, true}) {
    start = Clock::now();
    torch::manual_seed(static_cast<uint64_t>(o.seed()) + 1);  // the same initial student for both
    auto student = make_model(tokenizer, o.student_hidden_size(), o.student_layers(), policy.device());
    SftTrainer(student, distilled ? distill_data : cold_start,
               sft_config(o, distilled ? "student_distilled" : "student_cold_start", o.student_sft_steps(),
                          kColdStartLearningRate))
        .train();
    const double seconds = since(start) + (distilled ? sampling_seconds : 0.0);
    nlohmann::ordered_json extra = {{"parameters", count_parameters(student)},
                                    {"sft_examples", distilled ? distill_data.size() : cold_start.size()}};
    stage(distilled ? "student_sft_distilled" : "student_sft_cold_start", seconds,
          evaluate(student, eval, *correctness, eval_options), extra);
    if (!distilled) student_baseline.emplace(std::move(student));
  }

  // On-policy distillation of the baseline student: it samples, the final model scores its
  // tokens, each token's advantage is log p_teacher - log p_student (GrpoTrainer with a teacher).
  start = Clock::now();
  auto config = grpo_config(o, "student_on_policy", o.on_policy_steps(), {}, {}).learning_rate(o.on_policy_learning_rate());
  GrpoTrainer(*student_baseline, policy.clone_frozen(), {}, train, config).train();
  stage("student_on_policy", since(start), evaluate(*student_baseline, eval, *correctness, eval_options),
        {{"parameters", count_parameters(*student_baseline)}});
}

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
      .num_layers(1)
      .reject_generations(2)
      .reject_min_score(0.0)
      .sft2_steps(2)
      .grpo2_steps(2)
      .student_hidden_size(16)
      .student_layers(1)
      .student_sft_steps(2)
      .on_policy_steps(2);
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
  auto policy = make_model(tokenizer, o.hidden_size(), o.num_layers(), device);
  const int64_t parameters = count_parameters(policy);
  summary["model"] = {{"parameters", parameters}, {"hidden_size", o.hidden_size()}, {"layers", o.num_layers()}};
  log::info(c10::str("demo: ", parameters, " parameters on ", device.str(), ", ", task.train.size(),
                     " training problems (", sft.size(), " with traces), ", task.eval.size(), " held out"));

  // 3. Cold-start SFT.
  start = Clock::now();
  SftTrainer(policy, sft, sft_config(o, "sft", o.sft_steps(), kColdStartLearningRate)).train();
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
  GrpoTrainer(policy, {}, train, grpo_config(o, "grpo", o.grpo_steps(), {{"countdown", {}}, {"format", {}}}, {1.0, 0.1})).train();
  summary["seconds"]["grpo"] = since(start);

  // 6. Evaluate after GRPO.
  start = Clock::now();
  const auto after = evaluate(policy, eval, *correctness, eval_options);
  summary["seconds"]["eval_after"] = since(start);
  summary["eval_after_grpo"] = to_json(after);
  summary["pass_at_1_gain_points"] = 100.0 * (after.pass_at_1 - before.pass_at_1);
  log::info("demo: after GRPO " + after.to_json());

  if (o.pipeline()) run_later_stages(o, summary, policy, tokenizer, train, eval, sft, before, after, eval_options);

  const std::string path = o.output_dir() + "/summary.json";
  write_file_atomically(path, [&](std::ostream& out) { out << summary.dump(2) << '\n'; });
  log::info(c10::str("demo: pass@1 ", before.pass_at_1, " -> ", after.pass_at_1, "; summary in ", path));
  const std::string plot = o.output_dir() + "/plot.png";
  write_plot({o.output_dir() + "/grpo"}, plot);
  log::info("demo: GRPO curves in " + plot);
  return path;
}

}  // namespace grpo::cli
