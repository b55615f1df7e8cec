#include <grpo/trainer/grpo_trainer.h>

#include <grpo/core/device.h>
#include <grpo/support/files.h>
#include <grpo/support/log.h>

#include "trainer/checkpoint.h"
#include "trainer/schedule.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <sstream>
#include <unistd.h>

namespace grpo {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

Json finite_or_null(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

std::vector<std::shared_ptr<RewardFn>> build_rewards(std::vector<std::shared_ptr<RewardFn>> given,
                                                     const GrpoConfig& config) {
  if (given.empty()) {
    for (const auto& spec : config.reward_funcs()) given.push_back(make_builtin_reward(spec.name, spec.params));
  }
  TORCH_CHECK(given.size() == config.reward_funcs().size(), "GrpoTrainer: ", given.size(),
              " reward objects for ", config.reward_funcs().size(), " entries of reward_funcs");
  for (size_t k = 0; k < given.size(); ++k) {
    TORCH_CHECK(given[k] != nullptr, "GrpoTrainer: reward ", k, " is null");
  }
  return given;
}

GrpoLossOptions loss_options(const GrpoConfig& c) {
  GrpoLossOptions o;
  o.loss_type(c.loss_type())
      .importance_sampling_level(c.importance_sampling_level())
      .epsilon_low(c.epsilon())
      .epsilon_high(c.epsilon_high().value_or(c.epsilon()))
      .delta(c.delta())
      .beta(c.beta())
      .use_bias_correction_kl(c.use_bias_correction_kl())
      .max_completion_length(c.max_completion_length());
  return o;
}

// What the rewards see of each rollout row; row r was sampled for prompt r / G, whose dataset
// row prompt_row(r / G) gives the prompt and the columns.
std::vector<RewardInput> reward_inputs(const Rollout& rollout,
                                       const std::function<const PromptRow&(int64_t)>& prompt_row) {
  const auto ids = rollout.completion_ids.cpu();
  const auto lengths = rollout.completion_mask.sum(1).cpu();
  const auto truncated = rollout.truncated.cpu();
  std::vector<RewardInput> rows;
  for (int64_t r = 0; r < rollout.num_rows(); ++r) {
    const auto& row = prompt_row(r / rollout.num_generations);
    RewardInput in{row.prompt, rollout.completions[r], {}, truncated[r].item<bool>(), row.fields};
    const auto* begin = ids[r].data_ptr<int64_t>();
    in.completion_ids.assign(begin, begin + lengths[r].item<int64_t>());
    rows.push_back(std::move(in));
  }
  return rows;
}

}  // namespace

std::string StepStats::to_json() const {
  Json j;
  j["step"] = step;
  j["loss"] = finite_or_null(loss);
  j["reward"] = finite_or_null(reward);
  j["reward_std"] = finite_or_null(reward_std);
  j["frac_reward_zero_std"] = frac_reward_zero_std;
  for (const auto& [name, mean] : reward_means) {
    j["rewards/" + name + "/mean"] = finite_or_null(mean);
    j["rewards/" + name + "/std"] = finite_or_null(reward_stds.at(name));
  }
  j["reward_errors"] = reward_errors;
  j["kl"] = kl;
  j["entropy"] = entropy;
  j["clip_ratio/low_mean"] = clip_ratio_low;
  j["clip_ratio/high_mean"] = clip_ratio_high;
  j["clip_ratio/region_mean"] = clip_ratio_region;
  j["completions/mean_length"] = completion_length_mean;
  j["completions/max_length"] = completion_length_max;
  j["completions/clipped_ratio"] = truncated_ratio;
  j["learning_rate"] = learning_rate;
  j["grad_norm"] = finite_or_null(grad_norm);
  j["sampling_tokens_per_second"] = sampling_tokens_per_second;
  j["training_tokens_per_second"] = training_tokens_per_second;
  j["step_seconds"] = step_seconds;
  return j.dump();
}

std::string EvalResult::to_json() const {
  Json j;
  j["num_prompts"] = num_prompts;
  j["greedy_accuracy"] = greedy_accuracy;
  j["greedy_stderr"] = greedy_stderr;
  j["pass_at_1"] = pass_at_1;
  j["pass_at_1_stderr"] = pass_at_1_stderr;
  j["num_samples"] = num_samples;
  return j.dump();
}

EvalResult evaluate(Policy& policy, const PromptDataset& dataset, const RewardFn& correctness,
                    const EvalOptions& options) {
  TORCH_CHECK(options.num_samples() >= 1, "EvalOptions: num_samples must be >= 1, got ", options.num_samples());
  TORCH_CHECK(options.batch_prompts() >= 1, "EvalOptions: batch_prompts must be >= 1, got ",
              options.batch_prompts());
  TORCH_CHECK(dataset.size() >= 1, "evaluate: the dataset is empty");
  const int64_t n = dataset.size();
  std::vector<double> greedy(n), pass(n);
  // Correct-answer share of `g` samples per prompt for prompts [begin, end).
  auto judge = [&](int64_t begin, int64_t end, int64_t g, const SamplingOptions& sampling, std::vector<double>& out) {
    std::vector<std::string> prompts;
    for (int64_t i = begin; i < end; ++i) prompts.push_back(dataset[i].prompt);
    const auto rollout = policy.generate(prompts, sampling);
    const auto scores =
        correctness.score(reward_inputs(rollout, [&](int64_t p) -> const PromptRow& { return dataset[begin + p]; }));
    for (int64_t r = 0; r < rollout.num_rows(); ++r) {
      out[begin + r / g] += (scores[r] >= options.correct_threshold() ? 1.0 : 0.0) / static_cast<double>(g);
    }
  };
  for (int64_t begin = 0; begin < n; begin += options.batch_prompts()) {
    const int64_t end = std::min(n, begin + options.batch_prompts());
    judge(begin, end, 1,
          SamplingOptions().num_generations(1).top_k(1).max_new_tokens(options.max_new_tokens())
              .stop_strings(options.stop_strings()).seed(options.seed()),
          greedy);
    judge(begin, end, options.num_samples(),
          SamplingOptions().num_generations(options.num_samples()).temperature(options.temperature())
              .max_new_tokens(options.max_new_tokens()).stop_strings(options.stop_strings())
              .seed(options.seed() + static_cast<uint64_t>(begin) + 1),
          pass);
  }
  auto mean_and_stderr = [n](const std::vector<double>& v) {
    double mean = 0, var = 0;
    for (double x : v) mean += x / static_cast<double>(n);
    for (double x : v) var += (x - mean) * (x - mean);
    const double sample_var = n > 1 ? var / static_cast<double>(n - 1) : 0.0;
    return std::make_pair(mean, std::sqrt(sample_var / static_cast<double>(n)));
  };
  EvalResult result;
  result.num_prompts = n;
  result.num_samples = options.num_samples();
  std::tie(result.greedy_accuracy, result.greedy_stderr) = mean_and_stderr(greedy);
  std::tie(result.pass_at_1, result.pass_at_1_stderr) = mean_and_stderr(pass);
  return result;
}

GrpoTrainer::GrpoTrainer(Policy policy, std::vector<std::shared_ptr<RewardFn>> rewards, PromptDataset train_dataset,
                         GrpoConfig config)
    : config_((config.validate(), std::move(config))),
      policy_(std::move(policy)),
      rewards_(build_rewards(std::move(rewards), config_)),
      train_dataset_(std::move(train_dataset)),
      loss_(loss_options(config_)) {
  TORCH_CHECK(train_dataset_.size() >= 1, "GrpoTrainer: the training dataset is empty");
  std::vector<double> weights = config_.reward_weights();
  if (weights.empty()) weights.assign(rewards_.size(), 1.0);
  reward_weights_ = torch::tensor(weights, torch::kFloat64);
  if (config_.bf16()) policy_.set_autocast_dtype(torch::kBFloat16);
  if (config_.beta() > 0.0) reference_.emplace(policy_.clone_frozen());
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      policy_.parameters(), torch::optim::AdamWOptions(config_.learning_rate())
                                .betas({config_.adam_beta1(), config_.adam_beta2()})
                                .eps(config_.adam_epsilon())
                                .weight_decay(config_.weight_decay()));
  create_directories(config_.output_dir());
  write_file_atomically(config_.output_dir() + "/config.json", [&](std::ostream& out) { out << config_.to_json(); });
}

void GrpoTrainer::set_eval(PromptDataset dataset, std::shared_ptr<RewardFn> correctness, EvalOptions options) {
  TORCH_CHECK(correctness != nullptr, "GrpoTrainer::set_eval: the correctness reward is null");
  eval_dataset_ = std::move(dataset);
  eval_correctness_ = std::move(correctness);
  eval_options_ = std::move(options);
}

double GrpoTrainer::learning_rate_at(int64_t update) const {
  return detail::scheduled_learning_rate(config_.learning_rate(), config_.lr_scheduler_type(), config_.warmup_ratio(),
                                         update, config_.max_steps() * config_.num_iterations());
}

std::vector<int64_t> GrpoTrainer::step_prompt_indices() const {
  const int64_t prompts = config_.per_device_train_batch_size() * config_.gradient_accumulation_steps() /
                          config_.num_generations();
  const int64_t n = train_dataset_.size();
  std::vector<int64_t> indices;
  int64_t cached_epoch = -1;
  std::vector<int64_t> order;
  for (int64_t j = 0; j < prompts; ++j) {
    const int64_t global = step_ * prompts + j;  // position in the endless shuffled stream
    if (global / n != cached_epoch) {
      cached_epoch = global / n;
      order = train_dataset_.epoch_order(static_cast<uint64_t>(config_.seed()), cached_epoch);
    }
    indices.push_back(order[global % n]);
  }
  return indices;
}

std::vector<std::vector<double>> GrpoTrainer::score(const std::vector<RewardInput>& rows, int64_t& errors) const {
  std::vector<std::vector<double>> columns;
  for (const auto& reward : rewards_) {
    try {
      columns.push_back(reward->score(rows));
    } catch (const c10::Error& e) {
      TORCH_CHECK(config_.reward_error_policy() == "nan", "step ", step_ + 1, ": ", e.what_without_backtrace());
      // Rescore row by row so only the failing rows become NaN.
      std::vector<double> column;
      for (const auto& row : rows) {
        try {
          column.push_back(reward->score({row})[0]);
        } catch (const c10::Error& row_error) {
          column.push_back(std::numeric_limits<double>::quiet_NaN());
          ++errors;
          log::warn(c10::str("step ", step_ + 1, ": reward '", reward->name(), "' failed on a row, scored NaN: ",
                             row_error.what_without_backtrace()));
        }
      }
      columns.push_back(std::move(column));
    }
  }
  return columns;
}

StepStats GrpoTrainer::step() {
  const auto step_start = Clock::now();
  const auto& c = config_;
  const int64_t g = c.num_generations();
  const auto device = policy_.device();
  StepStats stats;
  stats.step = step_ + 1;

  // 1. Sample G completions per prompt from the current (old) policy.
  const auto indices = step_prompt_indices();
  std::vector<std::string> prompts;
  for (auto i : indices) prompts.push_back(train_dataset_[i].prompt);
  const auto sample_start = Clock::now();
  const auto rollout = policy_.generate(
      prompts, SamplingOptions()
                   .num_generations(g)
                   .max_new_tokens(c.max_completion_length())
                   .temperature(c.temperature())
                   .top_p(c.top_p())
                   .top_k(c.top_k())
                   .stop_strings(c.stop_strings())
                   .seed(static_cast<uint64_t>(c.seed()) * 1000003ULL + static_cast<uint64_t>(step_)));
  const double sample_seconds = seconds_since(sample_start);
  const int64_t n = rollout.num_rows();

  // 2. Score every completion with every reward: [N, K].
  const auto lengths = rollout.completion_mask.sum(1).cpu();
  const auto truncated_cpu = rollout.truncated.cpu();
  const auto rows =
      reward_inputs(rollout, [&](int64_t p) -> const PromptRow& { return train_dataset_[indices[p]]; });
  const auto columns = score(rows, stats.reward_errors);
  auto rewards_per_func = torch::empty({n, static_cast<int64_t>(rewards_.size())}, torch::kFloat64);
  for (size_t k = 0; k < columns.size(); ++k) {
    for (int64_t r = 0; r < n; ++r) rewards_per_func[r][static_cast<int64_t>(k)] = columns[k][r];
  }

  // 3. Group-relative advantages (DeepSeekMath sec. 4.1.2).
  const auto adv = compute_advantages(rewards_per_func, reward_weights_,
                                      AdvantageOptions(g).scale_rewards(c.scale_rewards()));
  const auto advantages = adv.advantages.to(torch::kFloat32).to(device);

  // 4. Completion mask (optionally without truncated completions), reference and old logprobs.
  auto mask = rollout.completion_mask.to(torch::kFloat32);
  if (c.mask_truncated_completions()) mask = mask * (~rollout.truncated).to(torch::kFloat32).unsqueeze(1);
  const double num_items = mask.sum().item<double>();
  const auto log_options = LogprobOptions().temperature(c.temperature());
  const int64_t micro = c.per_device_train_batch_size();
  auto rows_of = [&](const torch::Tensor& t, int64_t begin) { return t.narrow(0, begin, std::min(micro, n - begin)); };
  auto score_rows = [&](Policy& p, int64_t begin, const LogprobOptions& o) {
    return p.logprobs(rows_of(rollout.prompt_ids, begin), rows_of(rollout.prompt_mask, begin),
                      rows_of(rollout.completion_ids, begin), rows_of(rollout.completion_mask, begin), o);
  };
  std::vector<torch::Tensor> ref_logprobs, old_logprobs;
  {
    torch::NoGradGuard no_grad;
    for (int64_t begin = 0; begin < n; begin += micro) {
      if (reference_) ref_logprobs.push_back(score_rows(*reference_, begin, log_options).logprobs);
      if (c.num_iterations() > 1) old_logprobs.push_back(score_rows(policy_, begin, log_options).logprobs);
    }
  }

  // 5. num_iterations optimizer updates over the generation batch, in micro-batches.
  const auto train_start = Clock::now();
  double loss_sum = 0, kl_sum = 0, low_sum = 0, high_sum = 0, region_sum = 0, entropy_sum = 0;
  int64_t micro_count = 0, entropy_count = 0;
  double trained_tokens = 0;
  const auto params = policy_.parameters();
  for (int64_t it = 0; it < c.num_iterations(); ++it) {
    const int64_t update = step_ * c.num_iterations() + it;
    stats.learning_rate = learning_rate_at(update);
    for (auto& group : optimizer_->param_groups()) {
      static_cast<torch::optim::AdamWOptions&>(group.options()).lr(stats.learning_rate);
    }
    optimizer_->zero_grad();
    for (int64_t begin = 0, b = 0; begin < n; begin += micro, ++b) {
      const auto scored = score_rows(policy_, begin, LogprobOptions(log_options).with_entropy(it == 0));
      GrpoLossInputs in;
      in.logprobs = scored.logprobs;
      if (c.num_iterations() > 1) in.old_logprobs = old_logprobs[b];
      if (reference_) in.ref_logprobs = ref_logprobs[b];
      in.advantages = rows_of(advantages, begin);
      in.completion_mask = rows_of(mask, begin);
      in.num_items_in_batch = std::max(num_items, 1.0);
      in.gradient_accumulation_steps = (n + micro - 1) / micro;
      const auto out = loss_(in);
      const double loss_value = out.loss.item<double>();
      TORCH_CHECK(std::isfinite(loss_value), "step ", step_ + 1, ": loss is ", loss_value,
                  " (kl ", out.kl_mean.item<double>(), ", ratio mean ", out.ratio_mean.item<double>(),
                  ", reward mean ", adv.reward_mean.item<double>(), "); stopping");
      out.loss.backward();
      loss_sum += loss_value;
      kl_sum += out.kl_mean.item<double>();
      low_sum += out.clip_ratio_low_mean.item<double>();
      high_sum += out.clip_ratio_high_mean.item<double>();
      region_sum += out.clip_ratio_region_mean.item<double>();
      ++micro_count;
      if (it == 0) {
        const auto m = rows_of(rollout.completion_mask, begin).to(torch::kFloat32);
        entropy_sum += (scored.entropy * m).sum().item<double>();
        entropy_count += m.sum().item<int64_t>();
      }
      trained_tokens += static_cast<double>(rows_of(rollout.prompt_mask, begin).sum().item<int64_t>() +
                                            rows_of(rollout.completion_mask, begin).sum().item<int64_t>());
    }
    const double max_norm = c.max_grad_norm() > 0 ? c.max_grad_norm() : std::numeric_limits<double>::infinity();
    stats.grad_norm = torch::nn::utils::clip_grad_norm_(params, max_norm);
    optimizer_->step();
  }
  const double train_seconds = seconds_since(train_start);
  ++step_;

  // 6. Statistics.
  const auto micro_d = static_cast<double>(micro_count);
  // The loss is summed over a gradient-accumulation window; report it per update.
  stats.loss = loss_sum / static_cast<double>(c.num_iterations());
  stats.kl = kl_sum / micro_d;
  stats.clip_ratio_low = low_sum / micro_d;
  stats.clip_ratio_high = high_sum / micro_d;
  stats.clip_ratio_region = region_sum / micro_d;
  stats.entropy = entropy_count > 0 ? entropy_sum / static_cast<double>(entropy_count) : 0.0;
  stats.reward = adv.reward_mean.item<double>();
  stats.reward_std = adv.reward_std.item<double>();
  stats.frac_reward_zero_std = adv.frac_reward_zero_std.item<double>();
  for (size_t k = 0; k < rewards_.size(); ++k) {
    stats.reward_means[rewards_[k]->name()] = adv.reward_mean_per_func[static_cast<int64_t>(k)].item<double>();
    stats.reward_stds[rewards_[k]->name()] = adv.reward_std_per_func[static_cast<int64_t>(k)].item<double>();
  }
  const auto lengths_d = lengths.to(torch::kFloat64);
  stats.completion_length_mean = lengths_d.mean().item<double>();
  stats.completion_length_max = lengths_d.max().item<double>();
  stats.truncated_ratio = truncated_cpu.to(torch::kFloat64).mean().item<double>();
  stats.sampling_tokens_per_second = lengths_d.sum().item<double>() / std::max(sample_seconds, 1e-9);
  stats.training_tokens_per_second = trained_tokens / std::max(train_seconds, 1e-9);
  stats.step_seconds = seconds_since(step_start);

  append_line(c.output_dir() + "/metrics.jsonl", stats.to_json());
  if (c.log_completions_steps() > 0 && step_ % c.log_completions_steps() == 0) {
    const auto adv_cpu = adv.advantages.cpu();
    for (int64_t r = 0; r < n; ++r) {
      Json sample;
      sample["step"] = step_;
      sample["prompt"] = rows[r].prompt;
      sample["completion"] = rows[r].completion;
      for (size_t k = 0; k < rewards_.size(); ++k) sample["rewards"][rewards_[k]->name()] = finite_or_null(columns[k][r]);
      sample["advantage"] = adv_cpu[r].item<double>();
      append_line(c.output_dir() + "/samples.jsonl", sample.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
  }
  return stats;
}

void GrpoTrainer::train() {
  const auto start = Clock::now();
  const int64_t first = step_;
  const bool tty = ::isatty(STDOUT_FILENO) != 0;
  while (step_ < config_.max_steps()) {
    const auto stats = step();
    if (step_ % config_.logging_steps() == 0 || step_ == config_.max_steps()) {
      const double elapsed = seconds_since(start);
      const double eta = elapsed / static_cast<double>(step_ - first) * static_cast<double>(config_.max_steps() - step_);
      std::ostringstream line;
      if (tty) {
        const int width = 20;
        const int filled = static_cast<int>(width * step_ / config_.max_steps());
        line << '[' << std::string(filled, '#') << std::string(width - filled, '.') << "] ";
      }
      line << "step " << step_ << "/" << config_.max_steps() << std::fixed << std::setprecision(3)
           << " | reward " << stats.reward << " ± " << stats.reward_std;
      for (const auto& [name, mean] : stats.reward_means) line << " | " << name << " " << mean;
      line << " | kl " << stats.kl << " | len " << std::setprecision(1) << stats.completion_length_mean
           << " | " << std::setprecision(2) << stats.step_seconds << " s | eta " << std::setprecision(0) << eta << " s";
      log::info(line.str());
    }
    if (config_.save_steps() > 0 && step_ % config_.save_steps() == 0) save_checkpoint();
    if (eval_dataset_ && config_.eval_steps() > 0 && step_ % config_.eval_steps() == 0) {
      const auto result = evaluate(policy_, *eval_dataset_, *eval_correctness_, eval_options_);
      append_line(config_.output_dir() + "/eval.jsonl", "{\"step\": " + std::to_string(step_) + ", \"eval\": " +
                                                           result.to_json() + "}");
      log::info(c10::str("eval at step ", step_, ": greedy ", result.greedy_accuracy, ", pass@1 ", result.pass_at_1));
    }
  }
  if (config_.save_steps() == 0 || step_ % config_.save_steps() != 0) save_checkpoint();
  policy_.save_pretrained(config_.output_dir() + "/model");
}

std::string GrpoTrainer::save_checkpoint() {
  return detail::write_checkpoint(config_.output_dir(), step_, config_.save_total_limit(), [&](const std::string& dir) {
    policy_.save_pretrained(dir);
    if (reference_) reference_->save(dir + "/reference.safetensors");
    torch::save(*optimizer_, dir + "/optimizer.pt");
    write_file_atomically(dir + "/trainer_state.json", [&](std::ostream& out) {
      out << Json{{"global_step", step_}, {"config", Json::parse(config_.to_json())}}.dump(2);
    });
  });
}

void GrpoTrainer::resume(const std::string& checkpoint) {
  const auto dir = detail::resolve_checkpoint(checkpoint, config_.output_dir());
  const auto state = detail::read_trainer_state(dir, {"model.safetensors", "optimizer.pt", "trainer_state.json"});
  policy_.load(dir + "/model.safetensors");
  if (reference_) {
    TORCH_CHECK(path_exists(dir + "/reference.safetensors"), "checkpoint '", dir,
                "' has no reference.safetensors, but beta = ", config_.beta(), " needs the reference model");
    reference_->load(dir + "/reference.safetensors");
  }
  torch::load(*optimizer_, dir + "/optimizer.pt");
  step_ = state["global_step"].get<int64_t>();
}

}  // namespace grpo
